"""httpx.get with ALL_PROXY=socks5://127.0.0.1:1080 set by the caller; socksio not installed."""
import traceback, httpx
print("httpx", httpx.__version__, flush=True)
try:
    r = httpx.get("https://good.test/")
    print("status", r.status_code)
except BaseException:
    traceback.print_exc()
