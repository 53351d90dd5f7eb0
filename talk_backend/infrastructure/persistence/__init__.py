"""PostgreSQL through SQLAlchemy 2 async + asyncpg. The schema comes from Alembic."""
