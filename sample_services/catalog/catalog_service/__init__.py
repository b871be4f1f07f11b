"""The catalog service: books, prices and stock, split from the bookshop monolith with its own database."""
