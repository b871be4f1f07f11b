"""The workshop bookshop: users, catalog and orders in one process on one database."""
