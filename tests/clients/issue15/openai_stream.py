"""openai chat.completions.create(stream=True) against the cut-chunked server (base_url on 127.0.0.1)."""
import sys, traceback, openai
print("openai", openai.__version__, flush=True)
c = openai.OpenAI(api_key="x", base_url=sys.argv[1], max_retries=0)
try:
    s = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
    for ev in s:
        print("event", ev, flush=True)
except BaseException:
    traceback.print_exc()
