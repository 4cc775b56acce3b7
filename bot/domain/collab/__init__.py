"""The collaboration board (issue 14 item 3): proposals for joint projects, requests to join, outcomes, expiry."""
