"""The teacher's labels recorded once and replayed: ``model.teacher.cache``.

A recording lives in ``DIR/<fingerprint>/``, the first 16 hex digits of
the sha256 of everything that fixes the training batches (given by the
runner: data, pipeline, batch augments, sampler, seed, batch per process,
number of processes) plus the teacher (config, checkpoint, input size,
precision) and the form of the labels (hard, or top-k soft at tau). Per
epoch and process, a shard holds one record per batch
(:mod:`.label_store`), keyed by the batch's index in the epoch; the
process's rank names the shard.
"""
import copy
import hashlib
import json
import logging
import os
import os.path as osp
import time
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.dist import all_reduce, get_dist_info
from mmengine.logging import print_log

from mmdeit.checkpoint.files import is_url, sha256_of, write_json
from ..zoo import load_config
from .label_forms import (HardLabels, LabelForm, TopKLogits, batch_digest,
                          same_digest)
from .label_store import (RecordLog, Record, read_manifest, read_shard,
                          recordings, shard_path)

FORMAT = 1


class TeacherLabelsUnavailable(RuntimeError):
    """The run needs labels that are neither recorded nor computable."""


def fingerprint_hash(fingerprint: dict) -> str:
    """The folder name of a recording: 16 hex digits of the sha256 of its
    fingerprint written as canonical JSON."""
    text = json.dumps(fingerprint, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def differences(recorded, ours, path: str = '') -> List[str]:
    """Where two fingerprints differ, as ``'key: recorded -> this run'``
    lines (dotted keys; long values elided)."""
    if isinstance(recorded, dict) and isinstance(ours, dict):
        found = []
        for key in sorted(set(recorded) | set(ours), key=str):
            found += differences(recorded.get(key), ours.get(key),
                                 f'{path}.{key}' if path else str(key))
        return found
    if recorded == ours:
        return []
    return [f'{path}: {_short(recorded)} (recorded) -> {_short(ours)} '
            '(this run)']


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


class TeacherLabelCache:
    """The recording of one run's teacher labels, for this process.

    Args:
        root: the cache folder (``model.teacher.cache``).
        fingerprint: ``dict(batches=..., teacher=..., labels=...)``: what
            fixes the batches (from the runner), the teacher's settings and
            the label form's ``describe()``.
        form: how labels are encoded (:class:`HardLabels`,
            :class:`TopKLogits`).
        epochs: the epochs the run trains.
        checkpoint: the teacher's checkpoint (path or URL), whose content
            hash is recorded and, where the file is at hand, checked.

    The training loop tells it where it is (:meth:`start_epoch`,
    :meth:`at_batch`, :meth:`end_epoch`; ``TeacherLabelCacheHook`` does);
    the student asks for each batch's :meth:`targets`.
    """

    def __init__(self, root: str, fingerprint: dict, form: LabelForm,
                 epochs: int, checkpoint=None):
        self.root = root
        # as JSON holds it (tuples become lists), to compare with manifests
        self.fingerprint = json.loads(json.dumps(fingerprint, sort_keys=True,
                                                 default=str))
        self.form = form
        self.epochs = epochs
        self.checkpoint = checkpoint
        self.folder = osp.join(root, fingerprint_hash(self.fingerprint))
        self.rank, self.world_size = get_dist_info()
        self.epoch: Optional[int] = None
        self.batch: Optional[int] = None
        self.batches = 0
        self.replay: Optional[Dict[int, Record]] = None
        self.log: Optional[RecordLog] = None
        self.recorded = self._recorded_epochs()

    # -- what the recording holds ----------------------------------------
    def _recorded_epochs(self) -> List[int]:
        """The sealed epochs of this process, if the recording is of the
        same teacher weights (where the checkpoint file can be checked)."""
        manifest = read_manifest(self.folder)
        if manifest is None:
            return []
        self._check_checkpoint(manifest)
        return [epoch for epoch in range(self.epochs)
                if osp.exists(shard_path(self.folder, epoch, self.rank))]

    def _check_checkpoint(self, manifest: dict) -> None:
        """Refuse a recording made from another file than the teacher's
        checkpoint now at the same path."""
        recorded = manifest.get('teacher_checkpoint')
        identity = self._checkpoint_identity(recorded)
        if identity is None or recorded is None or \
                identity['sha256'] == recorded['sha256']:
            return
        raise TeacherLabelsUnavailable(
            f'the teacher labels in {self.folder} were recorded from '
            f'another file {self.checkpoint} (sha256 {recorded["sha256"]}; '
            f'the file there now: {identity["sha256"]}): move that folder '
            'away to record the labels of this checkpoint')

    def _checkpoint_identity(self, known: Optional[dict] = None
                             ) -> Optional[dict]:
        """size, mtime and sha256 of a local checkpoint file (the hash not
        recomputed when size and mtime match ``known``); None for a URL
        (its name carries the hash) or a file that is not at hand."""
        path = self.checkpoint
        if not isinstance(path, str) or is_url(path) or \
                not osp.isfile(osp.expanduser(path)):
            return None
        stat = os.stat(osp.expanduser(path))
        identity = dict(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        if known is not None and all(known.get(k) == v
                                     for k, v in identity.items()):
            identity['sha256'] = known['sha256']
        else:
            identity['sha256'] = sha256_of(osp.expanduser(path))
        return identity

    def replays_every_epoch(self) -> bool:
        """Whether every process holds sealed labels for all the epochs
        of the run, so that no teacher is needed anywhere."""
        complete = torch.tensor(
            int(len(self.recorded) == self.epochs))
        if self.world_size > 1:
            all_reduce(complete, op='min')
        return bool(complete)

    def explain(self) -> str:
        """Why the recording does not cover the run: what differs from the
        closest recording in the cache, or which epochs it lacks."""
        if self.recorded or read_manifest(self.folder) is not None:
            missing = [e + 1 for e in range(self.epochs)
                       if e not in self.recorded]
            return (f'{self.folder} lacks epochs {_ranges(missing)} (of '
                    f'{self.epochs}) of process {self.rank}')
        others = recordings(self.root)
        if not others:
            return f'{self.root} holds no recorded teacher labels'
        found = {folder: differences(manifest['fingerprint'],
                                     self.fingerprint)
                 for folder, manifest in others.items()}
        closest = min(found, key=lambda folder: len(found[folder]))
        return (f'{self.root} holds teacher labels of other batches; the '
                f'closest recording, {closest}, differs in: '
                + '; '.join(found[closest][:6]))

    # -- driven by the training loop -------------------------------------
    def start_epoch(self, epoch: int, batches: int) -> None:
        """Replay ``epoch`` from its shard, or start (or go on) recording it
        in its log."""
        self.end_epoch()
        self.epoch, self.batches, self.batch = epoch, batches, None
        if epoch in self.recorded:
            self.replay = read_shard(shard_path(self.folder, epoch,
                                                self.rank), batches)
            return
        self._write_manifest()
        self.log = RecordLog(self.folder, epoch, self.rank)
        if self.log.records:
            print_log(f'teacher labels: epoch {epoch + 1} goes on from the '
                      f'{len(self.log.records)} batches an interrupted run '
                      f'recorded in {self.log.path}', logger='current')

    def at_batch(self, batch: int) -> None:
        self.batch = batch

    def end_epoch(self) -> None:
        """Seal the epoch's labels if all its batches are recorded."""
        if self.log is not None:
            missing = self.log.missing(self.batches)
            if self.log.seal(self.batches):
                self.recorded.append(self.epoch)
                print_log(f'teacher labels of epoch {self.epoch + 1} '
                          f'(process {self.rank}) sealed in '
                          f'{self.log.shard}', logger='current')
            else:
                print_log(
                    f'teacher labels: {len(missing)} of the {self.batches} '
                    f'batches of epoch {self.epoch + 1} were not recorded '
                    f'(process {self.rank}); tools/analysis_tools/'
                    'record_teacher.py records them', logger='current',
                    level=logging.WARNING)
        self.log = self.replay = None

    def recorded_batch(self, batch: int) -> bool:
        """Whether the current epoch holds labels for ``batch``."""
        source = self.replay if self.replay is not None else \
            (self.log.records if self.log is not None else {})
        return batch in source

    def targets(self, inputs: torch.Tensor,
                teacher: Optional[torch.nn.Module]) -> torch.Tensor:
        """The distillation targets of the current batch ``inputs`` (the
        student's preprocessed batch): replayed where recorded (and the
        batch is the one recorded), else computed by ``teacher`` and
        recorded. Hard: (N,) int64 classes; soft: (N, K) float32 logits."""
        if self.epoch is None or self.batch is None:
            raise TeacherLabelsUnavailable(
                'model.teacher.cache: no batch position; a training loop '
                'must call start_epoch/at_batch (mmdeit\'s ReliableRunner '
                'adds TeacherLabelCacheHook, which does)')
        digest = batch_digest(inputs)
        source = self.replay if self.replay is not None else \
            self.log.records
        record = source.get(self.batch)
        if record is None:
            if teacher is None:
                raise TeacherLabelsUnavailable(
                    f'no recorded teacher labels for batch {self.batch} of '
                    f'epoch {self.epoch + 1} (process {self.rank}) in '
                    f'{self.folder}, and no teacher to compute them')
            payload = self.form.encode(teacher(inputs))
            record = Record(self.batch, len(inputs), digest, payload)
            self.log.append(record)
        elif record.samples != len(inputs) or \
                not same_digest(record.digest, digest):
            raise TeacherLabelsUnavailable(
                f'batch {self.batch} of epoch {self.epoch + 1} (process '
                f'{self.rank}) is not the batch whose teacher labels '
                f'{self.folder} holds: {len(inputs)} images of digest '
                f'{digest!r}, recorded {record.samples} of digest '
                f'{record.digest!r}. Something that fixes the batches '
                'changed without changing the fingerprint (the image '
                'files, or the code of the pipeline): record into a new '
                'cache folder, or delete that one')
        return self.form.decode(record.payload, record.samples).to(
            inputs.device)

    def _write_manifest(self) -> None:
        path = osp.join(self.folder, 'manifest.json')
        if osp.exists(path):
            return
        write_json(dict(format=FORMAT, fingerprint=self.fingerprint,
                        teacher_checkpoint=self._checkpoint_identity(),
                        created=time.strftime('%Y-%m-%d %H:%M:%S')), path)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()


def _ranges(numbers: List[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    parts, start = [], None
    for i, number in enumerate(numbers):
        if start is None:
            start = number
        if i + 1 == len(numbers) or numbers[i + 1] != number + 1:
            parts.append(str(start) if start == number
                         else f'{start}-{number}')
            start = None
    return ', '.join(parts) or 'none'


# what model.teacher.cache records for each distillation type
DEFAULT_TOPK = 10


def label_form(kind: str, settings: dict, num_classes: int,
               topk: int = DEFAULT_TOPK) -> LabelForm:
    """The labels a cache records for distillation ``kind`` ('hard', or
    'soft' with ``settings['tau']``)."""
    if kind == 'hard':
        return HardLabels(num_classes)
    if kind == 'soft':
        return TopKLogits(num_classes, topk, settings.get('tau', 1.0))
    raise ValueError(f'model.teacher.cache records labels for "hard" and '
                     f'"soft" distillation, not "{kind}"')


def teacher_fingerprint(teacher: dict) -> dict:
    """What fixes the teacher's logits: its model and preprocessing (the
    config's content where it can be read), checkpoint, input size and
    precision."""
    cfg = teacher['cfg']
    try:
        loaded = load_config(cfg if not isinstance(cfg, dict) else
                             Config(dict(model=copy.deepcopy(cfg))))
        model = dict(model=loaded.model.to_dict(),
                     data_preprocessor=loaded.get('data_preprocessor'))
    except (OSError, ValueError):
        model = dict(model=cfg)
    precision = teacher.get('precision', 'fp32')
    if teacher.get('autocast_dtype') is not None:
        precision = teacher['autocast_dtype']
    return dict(model, checkpoint=teacher.get('checkpoint'),
                input_size=teacher.get('input_size'), precision=precision)


def open_label_cache(cache, teacher: dict, kind: str, settings: dict,
                     num_classes: int) -> TeacherLabelCache:
    """The cache of ``model.teacher.cache``, as mmdeit's runner completes
    it: ``dict(dir=..., topk=10, batches=<fingerprint>, epochs=<N>)``."""
    if not isinstance(cache, dict) or 'batches' not in cache:
        raise TypeError(
            f'model.teacher.cache={cache!r}: recorded teacher labels are '
            'opened by mmdeit\'s ReliableRunner (runner_type = '
            '"ReliableRunner", as configs/_base_/default_runtime.py sets), '
            'which fingerprints the batches of the run; this model was '
            'built without it')
    form = label_form(kind, settings, num_classes,
                      cache.get('topk', DEFAULT_TOPK))
    fingerprint = dict(batches=cache['batches'],
                       teacher=teacher_fingerprint(teacher),
                       labels=form.describe())
    return TeacherLabelCache(cache['dir'], fingerprint, form,
                             cache['epochs'], teacher.get('checkpoint'))
