"""The files of a recording of teacher labels: one folder per fingerprint,
in it ``manifest.json`` and, per epoch and process, an append-only log
while the epoch is being recorded and a sealed shard once it is complete.

Every record (one batch) carries its batch index, sample count, the digest
of the batch and a CRC32 of all of it, so a record cut short by a kill is
recognised and dropped. A shard is written in one piece, atomically
(temporary file, fsync, rename), only when the log holds every batch of the
epoch: replay reads shards only, so nothing half-written is ever replayed.
"""
import json
import os
import os.path as osp
import struct
import zlib
from typing import Dict, Iterator, NamedTuple, Optional, Tuple

from mmdeit.checkpoint import write_durably

SHARD_MAGIC = b'mmdeit teacher labels 1\n'
RECORD = struct.Struct('<4sIIId')  # magic, batch, samples, bytes, digest
RECORD_MAGIC = b'TLR1'
CRC = struct.Struct('<I')


class Record(NamedTuple):
    """The labels of one batch: its index in the epoch, its number of
    samples, the digest of its images and the encoded labels."""
    batch: int
    samples: int
    digest: float
    payload: bytes

    def to_bytes(self) -> bytes:
        head = RECORD.pack(RECORD_MAGIC, self.batch, self.samples,
                           len(self.payload), self.digest)
        return head + self.payload + CRC.pack(
            zlib.crc32(head + self.payload))


class CorruptRecording(RuntimeError):
    """A sealed shard that does not read back as written."""


def parse_records(data: bytes, start: int = 0
                  ) -> Iterator[Tuple[Record, int]]:
    """The whole, intact records of ``data`` from ``start`` on, each with
    the offset just past it; stops at the first one cut short or damaged."""
    offset = start
    while offset + RECORD.size <= len(data):
        magic, batch, samples, size, digest = RECORD.unpack_from(data, offset)
        end = offset + RECORD.size + size + CRC.size
        if magic != RECORD_MAGIC or end > len(data):
            return
        payload = data[offset + RECORD.size:end - CRC.size]
        (crc, ) = CRC.unpack_from(data, end - CRC.size)
        if crc != zlib.crc32(data[offset:end - CRC.size]):
            return
        yield Record(batch, samples, digest, payload), end
        offset = end


def shard_name(epoch: int, rank: int) -> str:
    return f'epoch{epoch:04d}-rank{rank:04d}'


def shard_path(folder: str, epoch: int, rank: int) -> str:
    """The sealed labels of one epoch of one process."""
    return osp.join(folder, shard_name(epoch, rank) + '.labels')


def log_path(folder: str, epoch: int, rank: int) -> str:
    """The append-only log of an epoch being recorded."""
    return osp.join(folder, shard_name(epoch, rank) + '.log')


def read_shard(path: str, batches: Optional[int] = None
               ) -> Dict[int, Record]:
    """The records of a sealed shard by batch index. Raises
    :class:`CorruptRecording` for a file that is damaged, lacks a batch,
    or holds another number of batches than ``batches``."""
    with open(path, 'rb') as f:
        data = f.read()
    if not data.startswith(SHARD_MAGIC):
        raise CorruptRecording(f'{path} is not a shard of teacher labels')
    header_end = data.index(b'\n', len(SHARD_MAGIC)) + 1
    header = json.loads(data[len(SHARD_MAGIC):header_end])
    records, end = {}, header_end
    for record, end in parse_records(data, header_end):
        records[record.batch] = record
    expected = header['batches']
    if end != len(data) or sorted(records) != list(range(expected)):
        raise CorruptRecording(
            f'{path} is damaged: it should hold batches 0-{expected - 1} '
            f'whole, {len(records)} read back; delete it and record that '
            'epoch again')
    if batches is not None and expected != batches:
        raise CorruptRecording(
            f'{path} holds {expected} batches, but an epoch of this run has '
            f'{batches}')
    return records


class RecordLog:
    """The append-only log of the epoch being recorded by one process.

    Opening it keeps the intact records a previous, killed run left and
    cuts off anything after them; each record is flushed to the operating
    system as it is appended (a killed process loses none). :meth:`seal`
    writes the shard once every batch is in, and removes the log.
    """

    def __init__(self, folder: str, epoch: int, rank: int):
        self.path = log_path(folder, epoch, rank)
        self.shard = shard_path(folder, epoch, rank)
        self.epoch, self.rank = epoch, rank
        self.records: Dict[int, Record] = {}
        end = 0
        if osp.exists(self.path):
            with open(self.path, 'rb') as f:
                data = f.read()
            for record, end in parse_records(data):
                self.records.setdefault(record.batch, record)
        os.makedirs(folder, exist_ok=True)
        self.file = open(self.path, 'ab')
        self.file.truncate(end)

    def append(self, record: Record) -> None:
        self.records[record.batch] = record
        self.file.write(record.to_bytes())
        self.file.flush()

    def missing(self, batches: int) -> list:
        """The batch indices of the epoch not recorded yet."""
        return [i for i in range(batches) if i not in self.records]

    def seal(self, batches: int) -> bool:
        """Write the shard if all ``batches`` are recorded, and remove the
        log; False (the log kept for a later run) otherwise."""
        self.close()
        if self.missing(batches):
            return False
        header = json.dumps(dict(epoch=self.epoch, rank=self.rank,
                                 batches=batches)).encode() + b'\n'

        def write(tmp: str) -> None:
            with open(tmp, 'wb') as f:
                f.write(SHARD_MAGIC + header)
                for index in range(batches):
                    f.write(self.records[index].to_bytes())

        write_durably(self.shard, write)
        os.remove(self.path)
        return True

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()


def read_manifest(folder: str) -> Optional[dict]:
    path = osp.join(folder, 'manifest.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def recordings(root: str) -> Dict[str, dict]:
    """The manifest of every recording under ``root``, by folder."""
    if not osp.isdir(root):
        return {}
    found = {}
    for name in sorted(os.listdir(root)):
        manifest = read_manifest(osp.join(root, name))
        if manifest is not None:
            found[osp.join(root, name)] = manifest
    return found
