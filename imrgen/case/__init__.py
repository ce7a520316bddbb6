"""The case: what a determination says, as data. model (the pydantic models, no I/O), loading
(YAML/JSON -> Case with every problem and its line), rules (the IMR checks), schema (the JSON
Schema of a case file), embedding (the case carried inside a letter file). It imports nothing
of imrgen but errors."""
