"""Extra clients under a socks5 proxy variable with no SOCKS extra installed (run under unshare -n with
ALL_PROXY=socks5://127.0.0.1:1080 set): requests (needs PySocks), websockets (needs python-socks)."""
import sys, traceback, asyncio
which = sys.argv[1]
try:
    if which == "requests":
        import requests; print("requests", requests.__version__, flush=True)
        requests.get("https://good.test/", timeout=5)
    elif which == "websockets":
        import websockets; print("websockets", websockets.__version__, flush=True)
        from websockets.sync.client import connect
        connect("wss://good.test/", open_timeout=5)
    elif which == "asyncopenai":
        import openai; print("openai", openai.__version__, flush=True)
        openai.AsyncOpenAI(api_key="x", base_url="http://127.0.0.1:9/v1")
        print("constructed")
except BaseException:
    traceback.print_exc()
