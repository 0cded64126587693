"""websockets asyncio client to wss://good.test/ with the proxy variables set by the caller."""
import asyncio, traceback, websockets
print("websockets", websockets.__version__, flush=True)
async def main():
    async with websockets.connect("wss://good.test/", open_timeout=5):
        pass
try:
    asyncio.run(main())
except BaseException:
    traceback.print_exc()
