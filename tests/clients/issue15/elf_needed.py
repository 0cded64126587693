"""Pure-Python ELF64 reader (no readelf): prints DT_NEEDED of each .so given, and the
libssl/libcrypto sonames embedded as NUL-terminated strings (the SDK dlopen()s OpenSSL,
so DT_NEEDED never names it)."""
import struct, sys, re
def needed(path):
    d = open(path, "rb").read()
    assert d[:4] == b"\x7fELF" and d[4] == 2 and d[5] == 1, "ELF64 LE only"
    e_shoff, = struct.unpack_from("<Q", d, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", d, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", d, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    out = []
    for (name, typ, flags, addr, off, size, link, info, align, entsize) in secs:
        if typ != 6:  # SHT_DYNAMIC
            continue
        stroff = secs[link][4]
        for i in range(0, size, 16):
            tag, val = struct.unpack_from("<qQ", d, off + i)
            if tag == 0: break
            if tag == 1:  # DT_NEEDED
                out.append(d[stroff + val:d.index(b"\0", stroff + val)].decode())
    embedded = sorted(set(m.decode() for m in re.findall(rb"(?<=\0)(lib(?:ssl|crypto)\.so(?:\.[0-9]+)*)(?=\0)", d)))
    return out, embedded
for p in sys.argv[1:]:
    n, e = needed(p)
    print(p.split("/")[-1], "| DT_NEEDED:", " ".join(n), "| embedded sonames:", " ".join(e) or "-")
