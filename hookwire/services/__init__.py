"""Business actions over the models: each validates with domain rules, then writes."""
