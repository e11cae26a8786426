// Reads the zip files osls writes (store or deflate, no zip64): their entry names, or the files.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { inflateRawSync } from "node:zlib";

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

/** The entries of a zip file, from its central directory. */
function centralDirectory(zip: Buffer, file: string): Entry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, `${file} is a zip`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, "central directory entry");
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      name: zip.toString("utf8", offset + 46, offset + 46 + nameLength),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The names of the entries of a zip file. */
export function zipEntries(file: string): string[] {
  return centralDirectory(readFileSync(file), file).map((entry) => entry.name);
}

/** Extracts every file of a zip into `dir` (which must not be left by any entry's path). */
export function unzip(file: string, dir: string): string[] {
  const zip = readFileSync(file);
  const root = resolve(dir);
  const files: string[] = [];
  for (const entry of centralDirectory(zip, file)) {
    if (entry.name.endsWith("/")) continue;
    const target = resolve(root, entry.name);
    assert.ok(target.startsWith(root + sep), `${entry.name} stays inside ${dir}`);
    const header = entry.localHeaderOffset;
    assert.equal(zip.readUInt32LE(header), 0x04034b50, "local file header");
    const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
    const data = zip.subarray(start, start + entry.compressedSize);
    assert.ok(entry.method === 0 || entry.method === 8, `${entry.name}: stored or deflated`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.method === 8 ? inflateRawSync(data) : data);
    files.push(join(dir, entry.name));
  }
  return files;
}
