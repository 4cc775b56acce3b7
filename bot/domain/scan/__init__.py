"""The digital-maturity self-scan (issue 14 item 2).

``instrument`` (the statements, scale and named levels of ``bot/data/maturity_scan.toml``), ``scoring`` (pure:
means, levels, weakest dimensions, change since the previous scan) and ``service``
(:class:`~bot.domain.scan.service.ScanService`: start or resume, answer, complete, report, ask for help; the
privacy provider).
"""
