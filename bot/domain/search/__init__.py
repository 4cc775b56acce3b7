"""Knowledge search behind /ask: analysis, glossary, typo correction, ranking and the engine."""
