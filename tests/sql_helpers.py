"""A stand-in for Datasette's Database in tests that run the plugin's SQL layer on a connection of their own."""


class FakeDatabase:
    """What sql/execute.py's run_select uses of a Datasette Database: a name, a path, and execute_fn."""

    name = "data"
    path = None

    def __init__(self, connection):
        self.connection = connection

    async def execute_fn(self, fn):
        return fn(self.connection)
