"""The users service: who can place orders, split from the bookshop monolith with its own database."""
