"""Construct a SpeechSynthesizer (endpoint on closed 127.0.0.1:9, audio to a file) — the public
issues hit the platform errors here, as a RuntimeError at construction. Run inside unshare -n."""
import sys, os, traceback
import azure.cognitiveservices.speech as speechsdk
import importlib.metadata as md
print("sdk", md.version("azure-cognitiveservices-speech"), flush=True)
try:
    cfg = speechsdk.SpeechConfig(subscription="x", endpoint="wss://127.0.0.1:9/cognitiveservices/websocket/v1")
    out = speechsdk.audio.AudioOutputConfig(filename="/tmp/repro15-synth.wav")
    syn = speechsdk.SpeechSynthesizer(speech_config=cfg, audio_config=out)
    print("SpeechSynthesizer ok", flush=True)
    r = syn.speak_text_async("hi").get()
    print("result.reason", r.reason, flush=True)
    if r.reason == speechsdk.ResultReason.Canceled:
        print("cancellation.error_details", r.cancellation_details.error_details, flush=True)
except BaseException:
    traceback.print_exc()
finally:
    try: os.unlink("/tmp/repro15-synth.wav")
    except OSError: pass
