"""Construct openai.OpenAI(api_key='x', base_url=http://127.0.0.1:9/v1): construction only, no request."""
import traceback, openai, os
import importlib.metadata as md
def v(p):
    try: return md.version(p)
    except Exception: return "-"
print("openai", openai.__version__, "httpx", v("httpx"), "httpx2", v("httpx2"), "socksio", v("socksio"), flush=True)
try:
    c = openai.OpenAI(api_key="x", base_url=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"))
    print("constructed", type(c).__name__, flush=True)
    if os.environ.get("DO_REQUEST"):
        c.models.list()
except BaseException:
    traceback.print_exc()
