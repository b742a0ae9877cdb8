#!/usr/bin/env python3
"""reel_read.py: a small, independent reader of the reel media format v1.

Written from docs/format.md alone (section numbers below refer to it), standard library only.
  reel_read.py list MEDIUM [--passphrase P]          JSON listing of every stream on stdout
  reel_read.py extract MEDIUM DEST [--passphrase P]  files, directories, symlinks under DEST/<streamId>/
Exit codes: 0 ok, 1 damage or nonconformance found, 2 usage or unreadable medium, 3 missing tool,
4 wrong or missing passphrase. The whole medium is read into memory: this is a checking tool.
"""
import argparse, base64, hashlib, hmac, json, os, shutil, stat, struct, subprocess, sys

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except Exception:  # optional: without it encrypted streams are verified but not decoded
    AESGCM = None

_T = []  # §1 CRC-32C, reflected polynomial 0x82F63B78
for _c in range(256):
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)

def crc32c(*parts):
    c, t = 0xFFFFFFFF, _T
    for part in parts:
        for x in part:
            c = t[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

assert crc32c(b"123456789") == 0xE3069283
BH = struct.Struct("<4sHHII16sQ16sQIIII")  # §3.1 block header, 80 bytes
RH = struct.Struct("<BBHIQII")  # §4.1 record header, 24 bytes
EF = struct.Struct("<QBBHIIIQqIIq")  # §5.2 ENTRY fixed part, 56 bytes
NONE32, NONE64, MIB = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 1 << 20
TYPES = {1: "file", 2: "directory", 3: "symlink", 4: "hardlink", 5: "fifo", 6: "chardev", 7: "blockdev"}

class Fatal(Exception):  # (exit code, message)
    pass

def uuid(b):
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

def safe_path(p):  # §5.5
    return p == b"." or bool(p) and b"\0" not in p and all(c not in (b"", b".", b"..") for c in p.split(b"/"))

def txt(b):
    return b.decode("utf-8", "backslashreplace")

def parse_block(data, off, bs=None):
    """§3.1/§3.4: the header as a dict if magic, lengths and checksum hold, else None."""
    h = data[off:off + 80]
    if len(h) < 80 or h[:4] != b"REEL": return None
    _, ver, kind, bsize, plen, mid, num, sid, soff, fro, flags, _, ck = BH.unpack(h)
    size = bs or bsize
    if size % 4096 or not 4096 <= size <= 16 * MIB or plen > size - 80 or off + 80 + plen > len(data):
        return None
    payload = data[off + 80:off + 80 + plen]
    if crc32c(h[:76], payload) != ck: return None
    return dict(ver=ver, kind=kind, bsize=bsize, mid=mid, num=num, sid=sid, soff=soff, fro=fro,
                flags=flags, payload=payload, plen=plen)

def parse_entry(b):
    """§5.2: (output dict, private dict); ValueError when the body cannot be parsed at all."""
    if len(b) < 56: raise ValueError("ENTRY body shorter than 56 bytes")
    num, typ, fl, _, mode, uid, gid, size, ms, mns, ans, asec = EF.unpack_from(b)
    e = dict(number=num, pathHex=None, type=TYPES.get(typ), mode=mode, uid=uid, gid=gid, user=None,
             group=None, size=size, mtime=f"{ms}.{mns:09d}", sparse=bool(fl & 1), linkTargetHex=None,
             device=None, xattrs={}, sha256=None, dataRanges=None)
    x = dict(path=None, link=None, bad=[], t=(asec * 10**9 + ans, ms * 10**9 + mns), xattr=False)
    bad, p = x["bad"].append, 56
    while p < len(b):
        if p + 5 > len(b): raise ValueError("truncated field header")
        tag, ln = struct.unpack_from("<BI", b, p)
        v, p = b[p + 5:p + 5 + ln], p + 5 + ln
        if p > len(b): raise ValueError(f"field tag {tag} overruns the entry")
        if tag == 1:
            if x["path"] is not None: bad("path field given twice")
            x["path"] = v
        elif tag == 2: x["link"] = v
        elif tag in (3, 4): e["user" if tag == 3 else "group"] = txt(v)
        elif tag == 5 and ln == 8: e["device"] = dict(zip(("major", "minor"), struct.unpack("<II", v)))
        elif tag == 6 and b"\0" in v:
            name, _, val = v.partition(b"\0")
            e["xattrs"][txt(name)], x["xattr"] = val.hex(), True
        elif tag in (5, 6): bad(f"malformed field tag {tag}")
        elif not tag & 0x80: bad(f"unknown required field tag {tag} (entry must not be restored)")
    if x["path"] is None: bad("no path field")
    else:
        e["pathHex"] = x["path"].hex()
        if not safe_path(x["path"]): bad("path breaks §5.5")
    if x["link"] is not None: e["linkTargetHex"] = x["link"].hex()
    if typ not in TYPES: bad(f"unknown entry type {typ}")
    if mode & ~0o7777 or mns > 999999999 or ans > 999999999: bad("mode or nanoseconds out of range")
    return e, x

def zfeed(h, n):
    z = bytes(max(0, min(n, MIB)))
    while n > 0:
        h.update(z[:min(n, MIB)])
        n -= MIB

def unzstd(body):
    if not shutil.which("zstd"):
        raise Fatal(3, "the 'zstd' command is required to read zstd-compressed chunks but is not installed")
    r = subprocess.run(["zstd", "-d", "-c", "-q"], input=body, capture_output=True)
    return r.stdout if r.returncode == 0 else None

def derive(enc, pw, sid):
    """§6: (chunk key, whether the key check matches)."""
    salt, check = base64.b64decode(enc["salt"]), base64.b64decode(enc["check"])
    logn, r, p = int(enc["logN"]), int(enc["r"]), int(enc["p"])
    if not (1 <= logn <= 24 and 1 <= r and 1 <= p and 128 * r * (1 << logn) <= 1 << 30):
        raise ValueError(f"implausible scrypt cost logN={logn} r={r} p={p}")
    mk = hashlib.scrypt(pw.encode("utf-8", "surrogateescape"), salt=salt, n=1 << logn, r=r, p=p,
                        maxmem=2**31 - 1, dklen=32)
    prk = hmac.new(sid, mk, "sha256").digest()  # HKDF-SHA256 (RFC 5869) extract, salt = stream id
    key = hmac.new(prk, b"reel v1 chunk key\x01", "sha256").digest()  # expand: one block is 32 bytes
    mine = hmac.new(key, b"reel v1 key check", "sha256").digest()[:16]
    return key, hmac.compare_digest(mine, check)

class StreamReader:
    """Records (§4) and items (§5) of one stream."""
    def __init__(s, sid, pw, sink, flags, refuse):
        s.sid, s.pw, s.sink, s.flags, s.refuse = sid, pw, sink, flags, refuse
        s.out = dict(streamId=uuid(sid), compression=None, encrypted=None, complete=False, intact=True,
                     problems=[], entries=[])
        s.key = s.undecodable = s.cur = s.trailer = s.index_at = s.digest_key = None
        s.seq = s.next_num = s.n_entries = s.data_bytes = 0
        s.cks, s.paths, s.locs, s.lost_nums, s.rows, s.dropped = [], set(), {}, [], [], {}
        s.lost = s.in_index = False
    def prob(s, msg, damage=True):
        s.out["problems"].append(msg)
        s.out["intact"] &= not damage
    def loss(s, msg):  # §4.4
        s.prob(msg)
        s.lost = True
        if s.cur and not s.in_index: s.damage("a record after its ENTRY was lost")
    def damage(s, why):
        e, x = s.cur
        if not x.get("damaged"):
            x["damaged"] = True
            s.refuse.add((s.out["streamId"], e["number"]))
            s.prob(f"entry {e['number']} (pathHex {e['pathHex']}) damaged: {why}")
    def nokey(s, why, flag=None):
        s.undecodable = why
        s.prob(why, flag is None)
        if flag: s.flags.add(flag)
    def record(s, off, hdr, typ, fl, plain, seq, stored, ck, body):
        if s.trailer: return s.prob(f"record at stream offset {off} after the TRAILER")
        if seq < s.seq:
            return s.prob(f"record sequence {seq} at stream offset {off} goes backwards (expected {s.seq})")
        if seq > s.seq: s.loss(f"records {s.seq}..{seq - 1} lost (sequence gap before stream offset {off})")
        s.seq = seq + 1
        if typ != 3: s.cks.append(ck)
        if typ == 1: s.head(seq, fl, plain, stored, body)
        elif typ == 2: s.chunk(off, hdr, seq, fl, plain, body)
        elif typ == 3: s.trail(off, seq, fl, plain, stored, body)
        elif not typ & 0x80: s.prob(f"unknown record type {typ} at stream offset {off}")
    def head(s, seq, fl, plain, stored, body):  # §4.2
        if seq != 0 or fl or plain != stored: s.prob("HEAD record: sequence, flags or lengths wrong")
        try:
            h = json.loads(body)
            assert isinstance(h, dict)
        except Exception:
            return s.prob("HEAD body is not a JSON object")
        fmt, enc = h.get("format"), h.get("encryption")
        if isinstance(fmt, (int, float)) and fmt > 1:
            raise Fatal(2, f"stream {uuid(s.sid)}: unsupported format version {fmt}")
        if fmt != 1 or h.get("streamId") != uuid(s.sid):
            s.prob(f"HEAD: format {fmt!r} / streamId {h.get('streamId')!r} do not match the blocks")
        s.out["compression"], s.out["encrypted"] = h.get("compression"), enc is not None
        if enc is None: return
        if not isinstance(enc, dict) or enc.get("cipher") != "aes-256-gcm" or enc.get("kdf") != "scrypt":
            return s.nokey(f"unknown encryption {enc!r}")
        if s.pw is None: return s.nokey("stream is encrypted: passphrase required (--passphrase)", 4)
        try:
            key, ok = derive(enc, s.pw, s.sid)
        except Exception as err:
            return s.nokey(f"bad encryption parameters in HEAD: {err}")
        if not ok: return s.nokey("wrong passphrase (key check of §6 failed)", 4)
        s.digest_key = key  # §4.3: an encrypted stream's digest is HMAC-SHA256 with the chunk key
        if AESGCM is None: return s.nokey("cannot decrypt: python module cryptography missing", 3)
        s.key = key
    def chunk(s, off, hdr, seq, fl, plain, body):  # §4.3, §6
        if fl & ~3: return s.loss(f"record {seq}: unknown record flags {fl:#x}, chunk dropped")
        if s.out["encrypted"] and not fl & 2:
            return s.loss(f"record {seq}: unencrypted chunk in an encrypted stream, dropped")
        if fl & 2:
            if s.key is None:
                return None if s.undecodable else s.nokey("encrypted chunk, but no encryption in HEAD")
            try:
                body = AESGCM(s.key).decrypt(b"\0" * 4 + struct.pack("<Q", seq), body, hdr[:16] + s.sid)
            except Exception:
                return s.loss(f"record {seq}: decryption failed (authentication tag mismatch)")
        if fl & 1:
            if len(body) < 5 or not (body[4] >> 6 or body[4] & 0x20):
                s.prob(f"record {seq}: zstd frame header lacks the content size (§4.3)")
            body = unzstd(body)
            if body is None: return s.loss(f"record {seq}: zstd decompression failed")
        if len(body) != plain or not body:
            return s.loss(f"record {seq}: plain body is {len(body)} bytes, header says {plain} (min. 1 item)")
        p = 0
        while p < len(body):
            t, ln = body[p], struct.unpack_from("<I", body, p + 4)[0] if p + 8 <= len(body) else 1 << 40
            if p + 8 + ln > len(body):
                return s.loss(f"record {seq}: item at plain offset {p} overruns its chunk")
            v = body[p + 8:p + 8 + ln]
            if t in (1, 2, 3): s.entry(v, off, p) if t == 1 else s.data(v) if t == 2 else s.index(v, off)
            elif not t & 0x80: s.prob(f"record {seq}: unknown item type {t}")
            p += 8 + ln
    def entry(s, v, off, p):  # §5.2
        if s.in_index: s.prob(f"ENTRY after INDEX items (chunk at stream offset {off})")
        s.finish()
        try:
            e, x = parse_entry(v)
        except ValueError as err:
            return s.loss(f"ENTRY at stream offset {off} item {p}: {err}")
        n = e["number"]
        if n > s.next_num:
            s.lost_nums.extend(range(s.next_num, n))
            s.prob(f"entries {s.next_num}..{n - 1} lost (gap in entry numbers)")
        elif n < s.next_num: s.prob(f"entry number {n} goes backwards (expected {s.next_num})")
        s.next_num, s.locs[n], s.n_entries = n + 1, (off, p), s.n_entries + 1
        if e["type"] in ("symlink", "hardlink") and x["link"] is None: x["bad"].append("link target missing")
        elif e["type"] == "hardlink" and (x["link"] not in s.paths or not safe_path(x["link"])):
            x["bad"].append("hard link target is not an earlier entry's path (§5.2, §5.5)")
        for m in x["bad"]:
            s.prob(f"entry {n} (pathHex {e['pathHex']}): {m}")
        if x["bad"]: s.refuse.add((s.out["streamId"], n))
        s.paths.add(x["path"])
        if e["type"] == "file": x.update(h=hashlib.sha256(), pos=0, cov=0, ranges=[])
        s.out["entries"].append(e)
        s.cur = (e, x)
        if s.sink: x["sink"] = s.sink.entry(s.out["streamId"], e, x)
    def data(s, v):  # §5.3
        if len(v) < 16: return s.loss("DATA item shorter than 16 bytes")
        n, foff = struct.unpack_from("<QQ", v)
        d = v[16:]
        s.data_bytes += len(d)
        if s.cur is None or s.cur[0]["number"] != n or s.in_index:
            s.dropped[n] = s.dropped.get(n, 0) + len(d)
            return
        e, x = s.cur
        if e["type"] != "file": return s.damage(f"DATA item for an entry of type {e['type']}")
        if len(d) > MIB: s.prob(f"entry {n}: DATA item of {len(d)} bytes exceeds 1 MiB")
        if foff < x["pos"] or foff + len(d) > e["size"]:
            return s.damage(f"DATA [{foff},+{len(d)}) overlaps, goes backwards or exceeds size")
        zfeed(x["h"], foff - x["pos"])
        x["h"].update(d)
        x["pos"], x["cov"], r = foff + len(d), x["cov"] + len(d), x["ranges"]
        if d and r and r[-1][0] + r[-1][1] == foff: r[-1][1] += len(d)
        elif d: r.append([foff, len(d)])
        if x.get("sink"): s.sink.data(x["sink"], foff, d)
    def finish(s):
        if not s.cur: return
        e, x = s.cur
        if e["type"] == "file":
            if not e["sparse"] and x["cov"] != e["size"]:
                s.damage(f"DATA covers {x['cov']} of {e['size']} bytes")
            zfeed(x["h"], e["size"] - x["pos"])
            e["sha256"] = None if x.get("damaged") else x["h"].hexdigest()
            e["dataRanges"] = x["ranges"] if e["sparse"] else None
        if x.get("sink"): s.sink.done(x["sink"], e, x)
        s.cur = None
    def index(s, v, off):  # §5.4
        s.finish()
        if not s.in_index: s.in_index, s.index_at = True, off
        p = 0
        while p < len(v):
            roff, ioff, ln = struct.unpack_from("<QII", v, p) if p + 16 <= len(v) else (0, 0, 1 << 40)
            body, p = v[p + 16:p + 16 + ln], p + 16 + ln
            if p > len(v): return s.prob("INDEX row overruns its item")
            try:
                e, x = parse_entry(body)
                s.rows.append((e["number"], roff, ioff, e["pathHex"], x["xattr"]))
            except ValueError as err:
                s.prob(f"INDEX row unreadable: {err}")
    def trail(s, off, seq, fl, plain, stored, body):  # §4.3
        s.finish()
        s.trailer, s.out["complete"], s.trailer_end = True, True, off + 24 + stored
        if fl or plain != stored or stored != 64: return s.prob("TRAILER: flags or lengths wrong")
        rc, ec, db, io = struct.unpack_from("<QQQQ", body)
        if rc != seq: s.prob(f"TRAILER record count {rc} != its sequence number {seq}")
        if s.lost:
            if ec > s.next_num and s.undecodable is None:
                s.prob(f"entries {s.next_num}..{ec - 1} lost (the TRAILER counts {ec})")
            return s.prob("TRAILER digest not checked: records were lost", False)
        crcs = b"".join(struct.pack("<I", c) for c in s.cks)
        if s.out["encrypted"] and s.digest_key is None:
            s.prob("TRAILER digest not checked: it is keyed and the key is unknown", False)
        elif (hmac.new(s.digest_key, crcs, "sha256") if s.out["encrypted"] else hashlib.sha256(crcs)).digest() != body[32:64]:
            s.prob("TRAILER digest mismatch: records lost, added or reordered")
        if s.undecodable is None and (ec, db, io) != (s.n_entries, s.data_bytes, s.index_at or NONE64):
            s.prob(f"TRAILER says {ec} entries, {db} data bytes, index at {io}; stream has "
                   f"{s.n_entries}, {s.data_bytes}, {s.index_at}")
    def end(s):
        if not s.trailer:
            if s.cur: s.damage("the stream ends before the next entry")
            s.prob("no TRAILER: stream incomplete")
        s.finish()
        for n, nbytes in sorted(s.dropped.items()):
            s.prob(f"{nbytes} data bytes of entry {n} dropped (its ENTRY item is lost or elsewhere)")
        if s.undecodable:
            s.out["entries"] = None
            return s.out
        for i, (n, roff, ioff, ph, xa) in enumerate(s.rows):
            if n in s.lost_nums or (s.lost and n >= s.next_num):
                s.prob(f"index names lost entry {n}: pathHex {ph}", False)
            elif n in s.locs and s.locs[n] != (roff, ioff):
                s.prob(f"index row for entry {n} points at {roff}+{ioff}, entry is at {s.locs[n]}")
            if n != i or xa: s.prob(f"index row {i} (entry {n}) out of order or carries extended attributes")
        if s.index_at is not None and len(s.rows) != s.next_num and not s.lost:
            s.prob(f"index has {len(s.rows)} rows for {s.next_num} entries")
        return s.out

def read_records(sr, blocks, damaged):
    """§3.2/§3.4/§4.1: reassemble one stream from its blocks and feed its records to sr."""
    segs, end, starts = [], 0, set()
    for b in blocks:
        if b["soff"] < end:
            sr.prob(f"block {b['num']}: stream offset {b['soff']} overlaps earlier blocks; skipped")
            continue
        if segs and b["soff"] == end:
            segs[-1][1] += b["payload"]
            segs[-1][2].append(b)
        else:
            prev = segs[-1][2][-1]["num"] if segs else 0
            gap = b["soff"] > end and (f"stream bytes {end}..{b['soff'] - 1} lost before block {b['num']} "
                                       f"(damaged blocks in between: {[n for n in damaged if prev < n < b['num']]})")
            segs.append([b["soff"], bytearray(b["payload"]), [b], gap])
        end = b["soff"] + b["plen"]
    def resync(bl, after):  # §3.4: the next record start announced by a block
        return next((b["soff"] + b["fro"] for b in bl if b["fro"] != NONE32 and b["soff"] + b["fro"] > after), None)

    for start, buf, bl, gap in segs:
        if gap: sr.loss(gap)
        at = 0 if start == 0 else resync(bl, -1)
        clean = start == 0 or at is not None
        while at is not None and at - start < len(buf):
            p = at - start
            typ, fl, _, plain, seq, stored, ck = RH.unpack(bytes(buf[p:p + 24]).ljust(24, b"\0"))
            if p + 24 > len(buf) or p + 24 + stored > len(buf) and stored <= 16 * MIB + 65536:
                sr.loss(f"record at stream offset {at} runs past the readable end of the stream bytes")
                clean = False
                break
            hdr, body = bytes(buf[p:p + 24]), bytes(buf[p + 24:p + 24 + stored])
            if plain > 16 * MIB or stored > 16 * MIB + 65536:
                sr.loss(f"record at stream offset {at}: lengths exceed the limits of §4.1")
            elif crc32c(hdr[:20], body) != ck: sr.loss(f"record at stream offset {at}: checksum mismatch")
            else:
                starts.add(at)
                sr.record(at, hdr, typ, fl, plain, seq, stored, ck, body)
                at += 24 + stored
                continue
            clean, at = False, resync(bl, at)
        for b in bl if clean else []:  # the first record offsets must agree with the records found
            inside = [o for o in starts if b["soff"] <= o < b["soff"] + b["plen"]]
            if (b["soff"] + b["fro"] if b["fro"] != NONE32 else None) != (min(inside) if inside else None):
                sr.prob(f"block {b['num']}: first record offset {b['fro']:#x} disagrees with the records")
    for b in blocks:  # §3.2: the end-of-stream flag marks exactly the block holding the trailer's last byte
        last = sr.trailer and b["soff"] <= sr.trailer_end - 1 < b["soff"] + b["plen"]
        if bool(b["flags"] & 1) != bool(last):
            sr.prob(f"block {b['num']}: end-of-stream flag is {b['flags'] & 1}, §3.2 requires {int(bool(last))}")

def read_medium(path, pw, sink, refuse):
    try:
        with open(path, "rb") as f: data = f.read()
    except OSError as err:
        raise Fatal(2, f"cannot read medium: {err}")
    first = parse_block(data, 0)
    for off in range(4096, len(data) if first is None else 0, 4096):  # §3.1: any intact block header
        b = parse_block(data, off)
        if b and off == b["num"] * b["bsize"]:
            first = b
            break
    if first is None: raise Fatal(2, "unreadable medium: no intact reel block found")
    bs, mid = first["bsize"], first["mid"]
    top, damaged, streams, label = [], [], {}, None
    for n in range((len(data) + bs - 1) // bs):
        if (n + 1) * bs > len(data):
            top.append(f"block {n}: medium truncated ({len(data) - n * bs} of {bs} bytes)")
        b = parse_block(data, n * bs, bs)
        if b is None:
            damaged.append(n)
            top.append(f"block {n}: damaged (bad magic, lengths or checksum)")
        elif b["ver"] > 1: raise Fatal(2, f"block {n}: unsupported format version {b['ver']}")
        elif b["ver"] != 1 or b["bsize"] != bs or b["mid"] != mid or b["num"] != n:
            top.append(f"block {n}: version, block size, medium id or block number inconsistent; skipped")
        elif b["kind"] == 1 and n == 0:
            try:
                label = json.loads(b["payload"])
            except ValueError:
                top.append("label payload is not JSON")
        elif b["kind"] == 2 and b["plen"] > 0: streams.setdefault(b["sid"], []).append(b)
        elif b["kind"] in (1, 2):
            top.append(f"block {n}: label not at block 0, or stream block with empty payload")
    if label is None: top.append("no intact label in block 0")
    flags, out = set(), []
    for sid, blocks in streams.items():
        sr = StreamReader(sid, pw, sink, flags, refuse)
        read_records(sr, blocks, damaged)
        out.append(sr.end())
    res = dict(blockSize=bs, mediumId=uuid(mid), label=label, problems=top, streams=out)
    return res, 4 if 4 in flags else 3 if 3 in flags else int(bool(top) or not all(s["intact"] for s in out))

class Writer:
    """extract: regular files, directories and symlinks, never outside DEST (§5.5)."""
    def __init__(s, dest, refuse):
        s.dest, s.refuse, s.dirs, s.links, s.notes = os.fsencode(dest), refuse, [], [], []
        s.count = dict(file=0, directory=0, symlink=0)
    def place(s, sid, path):  # creates missing parents; refuses any parent that is not a real directory
        cur = os.path.join(s.dest, sid.encode())
        os.makedirs(cur, exist_ok=True)
        if path == b".": return cur
        for c in path.split(b"/")[:-1]:
            cur = os.path.join(cur, c)
            if not os.path.lexists(cur): os.mkdir(cur, 0o700)
            elif not stat.S_ISDIR(os.lstat(cur).st_mode):
                raise OSError(f"parent {txt(cur)} is not a directory (symlink?)")
        return os.path.join(cur, path.split(b"/")[-1])
    def entry(s, sid, e, x):
        n, t = e["number"], e["type"]
        if (sid, n) in s.refuse or not safe_path(x["path"] or b""):
            return s.notes.append(f"{sid} entry {n}: refused (damaged or invalid, see problems)")
        try:
            if t == "file":
                p = s.place(sid, x["path"])
                return [os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600), p]
            if t == "directory":
                p = s.place(sid, x["path"])
                if not (os.path.lexists(p) and stat.S_ISDIR(os.lstat(p).st_mode)): os.mkdir(p, 0o700)
                s.dirs.append((p, e["mode"], x["t"]))
                s.count[t] += 1
            elif t == "symlink":
                s.links.append((sid, x["path"], x["link"], x["t"]))  # made last: nothing is written through them
            else: s.notes.append(f"{sid} entry {n}: type {t} not extracted by this reader")
        except OSError as err:
            s.notes.append(f"{sid} entry {n}: {err}")
    def data(s, h, off, d):
        os.pwrite(h[0], d, off)
    def done(s, h, e, x):
        os.ftruncate(h[0], e["size"])  # trailing holes stay holes
        os.fchmod(h[0], e["mode"] & 0o7777)
        os.close(h[0])
        os.utime(h[1], ns=x["t"])
        s.count["file"] += 1
    def finish(s):
        for sid, path, target, t in s.links:
            try:
                p = s.place(sid, path)
                os.symlink(target, p)
                os.utime(p, ns=t, follow_symlinks=False)
                s.count["symlink"] += 1
            except OSError as err:
                s.notes.append(f"{sid} symlink {path.hex()}: {err}")
        for p, mode, t in sorted(s.dirs, key=lambda d: -len(d[0])):
            os.chmod(p, mode & 0o7777)
            os.utime(p, ns=t)

def main():
    ap = argparse.ArgumentParser(description="independent reader of the reel media format v1")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("list", "extract"):
        c = sub.add_parser(name)
        c.add_argument("medium")
        if name == "extract": c.add_argument("dest")
        c.add_argument("--passphrase")
    a, refuse = ap.parse_args(), set()
    try:
        res, code = read_medium(a.medium, a.passphrase, None, refuse)
        if a.cmd == "list":
            print(json.dumps(res, indent=1))
            return code
        probs = res["problems"] + [f"{s['streamId']}: {m}" for s in res["streams"] for m in s["problems"]]
        if code == 4:  # §6: a wrong passphrase is reported before anything is written
            print("reel_read: " + "; ".join(probs), file=sys.stderr)
            return 4
        w = Writer(a.dest, refuse)
        read_medium(a.medium, a.passphrase, w, set())
        w.finish()
        print(json.dumps(dict(written=w.count, notes=w.notes, problems=probs), indent=1))
        return code
    except Fatal as f:
        print(f"reel_read: {f.args[1]}", file=sys.stderr)
        return f.args[0]

if __name__ == "__main__": sys.exit(main())
