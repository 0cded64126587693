"""Create SpeechConfig + SpeechRecognizer and start one recognition against a closed
loopback port. Run inside `unshare -n` (only lo) so nothing can leave the machine.
usage: speech_init.py [MODE] [LOGFILE]
  MODE: endpoint (default; wss://127.0.0.1:9/…) | subscription (subscription="x", region="westeurope")
"""
import sys, os, traceback
mode = sys.argv[1] if len(sys.argv) > 1 else "endpoint"
logfile = sys.argv[2] if len(sys.argv) > 2 else None
import azure.cognitiveservices.speech as speechsdk
import importlib.metadata as md; print("sdk", md.version("azure-cognitiveservices-speech"), "file", speechsdk.__file__, flush=True)
try:
    if mode == "subscription":
        cfg = speechsdk.SpeechConfig(subscription="x", region="westeurope")
    else:
        cfg = speechsdk.SpeechConfig(subscription="x", endpoint=os.environ.get("SPEECH_ENDPOINT", "wss://127.0.0.1:9/speech/recognition/conversation/cognitiveservices/v1"))
    print("SpeechConfig ok", flush=True)
    # SPEECH_PROPS="NAME=VALUE;NAME=VALUE" -> SpeechConfig.set_property_by_name (e.g. OPENSSL_DISABLE_CRL_CHECK=false)
    for kv in filter(None, os.environ.get("SPEECH_PROPS", "").split(";")):
        k, v = kv.split("=", 1)
        cfg.set_property_by_name(k, v)
        print("set_property_by_name", k, v, flush=True)
    if logfile:
        cfg.set_property(speechsdk.PropertyId.Speech_LogFilename, logfile)
    wav = os.path.join(os.path.dirname(os.path.abspath(__file__)), "silence.wav")
    if not os.path.exists(wav):
        # 1 s of 16 kHz, 16-bit mono silence: what the recognizer reads.
        import wave
        with wave.open(wav, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(b"\0\0" * 16000)
    audio = speechsdk.audio.AudioConfig(filename=wav)
    rec = speechsdk.SpeechRecognizer(speech_config=cfg, audio_config=audio)
    print("SpeechRecognizer ok", flush=True)
    r = rec.recognize_once()
    print("result.reason", r.reason, flush=True)
    if r.reason == speechsdk.ResultReason.Canceled:
        c = r.cancellation_details
        print("cancellation.reason", c.reason, flush=True)
        print("cancellation.code", getattr(c, "code", "(no .code in this SDK)"), flush=True)
        print("cancellation.error_details", c.error_details, flush=True)
except BaseException:
    traceback.print_exc()
    sys.exit(1)
