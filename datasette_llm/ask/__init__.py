"""Question -> SQL -> rows -> answer. `ask()` is the Python API; the CLI, the JSON API, the page and MCP call it.

pipeline.py      AskPipeline: one question's state and its stages in order (prepare, route, write SQL, answer)
examples_stage.py the trusted examples and canned queries in the SQL prompt, kept, chosen or dropped
write_sql.py     the repair loop: write, send back what fails or looks wrong, accept; voting between samples
mend.py          one query: validated, mended without a model call, run, its stored values looked up
answer.py        the answer from the rows (read and write budgets; the table answers long results) or from text
numbers.py       numbers in an answer that the model was never shown (answers from rows and from text)
results.py       AskResult (serialised in one place) and the records of attempts, candidates and queries
question.py      the question and the conversation's earlier turns, checked
conversation.py  the SQL prompt (its cached prefix) and the turns that send a query back
schema.py        the schema as the prompt shows it, within its budget
schema_tables.py the tables and views an actor may see: CREATE statements and example rows, as shown
few_shot.py      trusted examples and canned queries most like the question, checked for this actor
few_shot_pool.py the examples a database's questions draw on: the store (checked again) and canned queries
prompts.py       every prompt text
route.py         SQL, text or both, decided per question from its wording
sql_vote.py      the result most sampled queries agree on
charts.py        the chart that suits a result's rows (Vega-Lite)
warm_up.py       a schema read into the model before the first question (page visit, server start)
repairs/         every accuracy heuristic, in one ordered registry
text/            answers from text: retrieval, passages, named rows
"""

from .pipeline import ask
from .results import AskResult

__all__ = ["AskResult", "ask"]
