"""What each setting of datasette_llm/config.py does, in a sentence or two: the reference's text."""

# What each setting does, for docs/reference/settings.md (docs/build_reference.py); a test checks that every
# field of Settings has an entry, so the reference cannot fall behind the code.
SETTING_DOCS = {
    "chat_model": "`default` (the embedded Qwen2.5-Coder-1.5B-Instruct Q4_K_M), a GGUF path (`/path/x.gguf` or "
    "`llama_cpp:/path/x.gguf`), or `openai:MODEL_ID`",
    "embedding_model": "`default` (the embedded all-MiniLM-L6-v2 int8), `onnx:/dir` (with `model.onnx` and "
    "`tokenizer.json`), or `openai:MODEL_ID`",
    "models_dir": "where the default models live",
    "openai_base_url": "an OpenAI-compatible server (Ollama, llama.cpp server, vLLM); unset means api.openai.com",
    "openai_api_key": 'the key for `openai:` models; use `{"$env": "NAME"}` to keep it out of the file '
    "(`OPENAI_API_KEY` is read when unset)",
    "n_ctx": "context window of local GGUF models, in tokens",
    "context_window": "`openai:` models: the context window the server gives the model, in tokens (Ollama's "
    "`num_ctx`, llama.cpp's `--ctx-size`, vLLM's `--max-model-len`; at least 1024); unset: a hosted model's own, else "
    "8192, lowered for 10 minutes when the server says it is smaller. A server that cuts long prompts without saying "
    "so (Ollama) must be told",
    "n_threads": "threads for local models (unset: all cores)",
    "draft_tokens": "local models: the most tokens, guessed from the prompt, that one pass checks while writing "
    "a greedy reply (prompt-lookup decoding; the reply is the same); `0` writes one token per pass",
    "queue_limit": "requests allowed to wait for a model; more get HTTP 503 with `Retry-After`. One client (a "
    "signed-in actor, else an address) holds at most half of them: past that, HTTP 429",
    "reply_cache_entries": "replies the chat model already wrote, kept for the same prompt and asker, so a question "
    "asked again over unchanged data takes no model time (least recently used go first); 0 keeps none",
    "model_timeout": "seconds before a model call is abandoned (HTTP 504)",
    "max_question_chars": "longer questions are refused (HTTP 400)",
    "max_rows": "row cap for Ask queries (a `LIMIT` is added when missing)",
    "answer_max_tokens": "reply budget of the prose answer, in tokens",
    "sql_max_tokens": "reply budget of each SQL attempt, in tokens",
    "sql_time_limit_ms": "time limit for Ask queries (unset: Datasette's `sql_time_limit_ms`); never above "
    "Datasette's own",
    "repair_attempts": "attempts at writing valid SQL (the first plus repairs)",
    "sql_candidates": "queries written per question for self-consistency voting (the first greedy, the rest "
    "sampled; the result most agree on wins); 1 is off. Measured with 3 on 46 Spider questions: "
    "82.6% -> 80.4% and p50 ~4 s -> 13.8 s with the default model, so it is off",
    "warm_up": "when a database's Ask page opens, read its schema into the local model's prompt cache while the "
    "visitor types (only when the model is idle); `false` also turns off the start-up warm-up and the loading of "
    "the local embedding model a served collection needs at start-up (else loaded by the first search)",
    "warm_up_databases": "at `datasette serve` start-up, prepare the schema prompt of these databases in the "
    "background, giving way to questions (unset: every database Ask is enabled for; `[]`: "
    "none)",
    "max_cell_chars": "long cells are clipped to this many characters (with a marker) in what the model sees",
    "few_shot_examples": "how many trusted examples and canned queries most like the question the SQL prompt shows "
    "(0: none); each passes the guard for the asking actor (docs/examples.md)",
    "few_shot_budget_tokens": "tokens the examples' questions and SQL may take (every token is read for every "
    "question; each example also adds about 30 tokens of turn markup; 0: none beyond the kept ones)",
    "few_shot_kept_tokens": "tokens of examples kept for every question (canned queries, then trusted examples "
    "oldest first): saved with the schema's prompt state, so read once per schema, not per question (0: none; "
    "few_shot_budget_tokens then serves the others, most like the question first)",
    "few_shot_repeat": "how many of the kept examples most like the question are shown again right before it "
    "when very like it (a small model follows the nearest example most; 0: never), within few_shot_budget_tokens",
    "text_budget_tokens": "prompt tokens of retrieved passages for answers from text (a latency budget as much as "
    "a context budget: the local model reads a prompt token in 20-40 ms on 2 cores); a row the question names "
    "outright is read alone within half of it",
    "text_passages": "how many rows the passages of an answer from text come from (each is cut around its "
    "best-matching part)",
    "databases": "the databases that get Ask and search (unset: all)",
    "example_questions": "`{database: [questions]}` shown on the Ask page (unset: generated from the schema)",
    "table_prefix": "prefix for the embeddings tables, when a database already has unrelated `collections` / "
    "`embeddings` tables",
    "state_dir": "where the plugin keeps its own state, outside the databases: `examples.db` with the trusted "
    "examples and feedback (unset: `$XDG_DATA_HOME/datasette-llm`, else `~/.local/share/datasette-llm`); "
    "created with mode 0700 on first write. See docs/examples.md",
    "query_max_rows": "row cap of the agents' query API and MCP `query`",
    "query_max_chars": "character cap of the rows the agents' query API and MCP `query` return",
    "manifest": "fields of `/.well-known/ai-plugin.json` to override",
    "trust_forwarded_headers": "build the manifest's and OpenAPI spec's URLs from `X-Forwarded-Host` / "
    "`X-Forwarded-Proto`; only behind a proxy that sets (and overwrites) them, or any "
    "client can make the spec point assistants at another server",
    "allow_ask": "who may ask questions (the `llm-ask` permission) as a Datasette allow block: `true`, `false` "
    'or `{"id": ["alice"]}`; here for every database, or under `databases: NAME: plugins: '
    "datasette-llm:` for one (unset: asking follows `execute-sql`). See SECURITY.md",
    "allow_teach": "who may add and remove trusted examples and read the feedback on answers (the `llm-teach` "
    'permission) as a Datasette allow block: `true`, `false` or `{"id": ["alice"]}`; here for every database, '
    "or under `databases: NAME: plugins: datasette-llm:` for one (unset: nobody, unless a Datasette 1.0 "
    "`permissions: llm-teach:` block grants it). See docs/examples.md",
}
