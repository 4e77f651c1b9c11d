"""What `shequn serve` runs: the API and the web pages on one application."""
