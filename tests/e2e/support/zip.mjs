// A small zip reader for the journeys: reads the central directory, inflates each entry with
// Node's zlib and checks its CRC-32. Independent of the Rust writer it checks (src/bundle.rs).

import assert from 'node:assert/strict';
import { crc32, inflateRawSync } from 'node:zlib';

/** Entries of a zip: `{ name, mode, data }` in central-directory order. */
export function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, 'no end-of-central-directory record: not a zip');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let k = 0; k < count; k++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, `central directory entry ${k} is damaged`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const external = buf.readUInt32LE(p + 38);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;

    assert.equal(buf.readUInt32LE(local), 0x04034b50, `${name}: local header is damaged`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compressed);
    const data = method === 8 ? inflateRawSync(raw) : method === 0 ? Buffer.from(raw) : null;
    assert.ok(data, `${name}: compression method ${method} is neither stored nor deflate`);
    assert.equal(data.length, size, `${name}: size differs from the directory`);
    assert.equal(crc32(data) >>> 0, crc >>> 0, `${name}: CRC-32 mismatch`);
    entries.push({ name, mode: (external >>> 16) & 0o7777, data });
  }
  return entries;
}
