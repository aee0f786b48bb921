"""What a recording keeps of the teacher (hard arg-max; top-k logits that
give TinyViT's distribution), its files (a record cut short by a kill is
dropped; a damaged shard is refused), the batch digest and the messages
that name what differs between two fingerprints."""
import pytest
import torch
import torch.nn.functional as F

from mmdeit.models.teachers.label_cache import differences
from mmdeit.models.teachers.label_forms import (HardLabels, TopKLogits,
                                                batch_digest, same_digest)
from mmdeit.models.teachers.label_store import (CorruptRecording, Record,
                                                RecordLog, read_shard)


def logits(count=6, classes=20, seed=0):
    return torch.randn(count, classes,
                       generator=torch.Generator().manual_seed(seed)) * 4


def test_hard_labels_are_the_arg_max():
    form = HardLabels(20)
    t = logits()
    payload = form.encode(t)
    assert len(payload) == 6 * form.bytes_per_sample == 12
    assert torch.equal(form.decode(payload, 6), t.argmax(1))
    assert HardLabels(40000).bytes_per_sample == 4


@pytest.mark.parametrize('k,tau', [(3, 1.0), (5, 3.0), (20, 2.0)])
def test_top_k_gives_tinyvits_distribution(k, tau):
    """softmax(decoded / tau) is the teacher's top-k probabilities at tau,
    the rest of the mass spread evenly over the other classes (TinyViT's
    scheme, written out)."""
    form = TopKLogits(20, k, tau)
    t = logits()
    payload = form.encode(t)
    assert len(payload) == 6 * form.bytes_per_sample == 6 * (4 * k + 2)
    decoded = form.decode(payload, 6)
    probs = F.softmax(t / tau, 1)
    top, index = probs.topk(k, 1)
    expected = ((1 - top.sum(1, keepdim=True)) / max(20 - k, 1)).repeat(1, 20)
    expected.scatter_(1, index, top)
    # fp16 logits: about 3 decimal digits
    torch.testing.assert_close(F.softmax(decoded / tau, 1), expected,
                               rtol=5e-3, atol=1e-4)


def test_digest_tells_batches_apart():
    x = torch.randn(4, 3, 8, 8)
    assert same_digest(batch_digest(x), batch_digest(x.clone()))
    assert same_digest(batch_digest(x), batch_digest(x.double().float()))
    assert not same_digest(batch_digest(x), batch_digest(x.flip(0)))
    mixed = 0.7 * x + 0.3 * x.flip(0)
    other = 0.71 * x + 0.29 * x.flip(0)
    assert not same_digest(batch_digest(mixed), batch_digest(other))


def test_a_record_cut_short_is_dropped(tmp_path):
    log = RecordLog(str(tmp_path), 0, 0)
    for batch in range(3):
        log.append(Record(batch, 2, 1.5 + batch, bytes([batch]) * 4))
    log.close()
    path = tmp_path / 'epoch0000-rank0000.log'
    data = path.read_bytes()
    path.write_bytes(data[:-5])  # killed while writing the third
    log = RecordLog(str(tmp_path), 0, 0)
    assert sorted(log.records) == [0, 1] and log.missing(3) == [2]
    assert not log.seal(3)  # incomplete: the log stays
    log = RecordLog(str(tmp_path), 0, 0)
    log.append(Record(2, 2, 9.0, b'\x07' * 4))
    assert log.seal(3)
    assert not path.exists()
    records = read_shard(str(tmp_path / 'epoch0000-rank0000.labels'), 3)
    assert [r.payload for r in records.values()] == [
        b'\x00' * 4, b'\x01' * 4, b'\x07' * 4]
    assert records[1].digest == 2.5


def test_a_damaged_shard_is_refused(tmp_path):
    log = RecordLog(str(tmp_path), 1, 2)
    for batch in range(2):
        log.append(Record(batch, 1, 0.5, b'ab'))
    assert log.seal(2)
    shard = tmp_path / 'epoch0001-rank0002.labels'
    data = bytearray(shard.read_bytes())
    data[-8] ^= 1
    shard.write_bytes(bytes(data))
    with pytest.raises(CorruptRecording, match='is damaged'):
        read_shard(str(shard))


def test_differences_name_the_keys():
    recorded = dict(batches=dict(seed=0, processes=2, data=dict(files={
        'meta/train.txt': 'sha256:aa'})), labels=dict(kind='hard'))
    ours = dict(batches=dict(seed=0, processes=1, data=dict(files={
        'meta/train.txt': 'sha256:bb'})), labels=dict(kind='hard'))
    assert differences(recorded, ours) == [
        "batches.data.files.meta/train.txt: 'sha256:aa' (recorded) -> "
        "'sha256:bb' (this run)",
        'batches.processes: 2 (recorded) -> 1 (this run)']

