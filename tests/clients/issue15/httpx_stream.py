"""httpx streaming read (iter_text) of URL; prints what arrived, then the exception."""
import sys, traceback, httpx
url = sys.argv[1]
print("httpx", httpx.__version__, flush=True)
try:
    with httpx.stream("GET", url, timeout=10) as r:
        print("status", r.status_code, flush=True)
        for part in r.iter_text():
            print("got", repr(part), flush=True)
except BaseException:
    traceback.print_exc()
try:
    r = httpx.get(url, timeout=10)
    print("non-stream status", r.status_code)
except BaseException as e:
    print("non-stream:", type(e).__module__ + "." + type(e).__name__ + ":", e)
