"""An ONNX Runtime backend for the embedding model: exported locally from the same weights with
torch.onnx (no download), optionally quantized to int8 with onnxruntime's dynamic quantization.

Mean pooling and normalisation are done here as sentence-transformers does them for
all-MiniLM-L6-v2, so the vectors match the torch backend's (int8 within rounding). Models whose
pooling is not mean pooling are refused with a message.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.errors import UserError

log = logging.getLogger(__name__)
_lock = threading.Lock()


def _pooling_is_mean(model_dir: Path) -> bool:
    config = model_dir / "1_Pooling" / "config.json"
    if not config.is_file():
        return False
    data = json.loads(config.read_text(encoding="utf-8"))
    return bool(data.get("pooling_mode_mean_tokens")) and not any(
        data.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_lasttoken"))


def export(model_dir: Path, folder: Path, quantized: bool) -> Path:
    """The ONNX file for this model (exported, and quantized, on first use).

    The fp32 model is kept with its weights beside it (``model.fp32.onnx`` + ``.data``, ONNX's external
    data format): ONNX Runtime then maps the weights from that file instead of parsing them out of the
    protobuf and copying them, which cut the session's memory from about 146 to 56 MB (issue 18). A
    cache from before (``model.onnx``, weights inline) is converted without re-exporting."""
    folder.mkdir(parents=True, exist_ok=True)
    plain, int8 = folder / "model.fp32.onnx", folder / "model-int8.onnx"
    if plain.exists() and (int8.exists() or not quantized):
        return int8 if quantized else plain
    with _lock, _folder_lock(folder):  # one thread, and one process, exports or converts at a time
        inline = folder / "model.onnx"
        if not plain.exists():
            if not inline.exists():
                _torch_export(model_dir, inline)
            _with_external_weights(inline, plain)
        inline.unlink(missing_ok=True)  # the weights are in model.fp32.onnx.data now
        if quantized and not int8.exists():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = folder / f".model-int8.{os.getpid()}.{threading.get_ident()}.onnx"
            quantize_dynamic(str(plain), str(tmp), weight_type=QuantType.QInt8)
            os.replace(tmp, int8)
    return int8 if quantized else plain


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder/.lock`` (another process waits); a no-op where ``fcntl`` is missing."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the temporary names below still keep processes apart
        yield
        return
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _torch_export(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    log.info("exporting %s to ONNX in %s", model_dir, target.parent)
    base = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Wrapped(torch.nn.Module):  # keyword arguments: positional order differs across versions
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.base(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    model = Wrapped().eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(1, 8, dtype=torch.long) for _ in names)
    handle, name = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    torch.onnx.export(model, dummy, str(tmp), input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]},
                      opset_version=17, dynamo=False)
    os.replace(tmp, target)


def _with_external_weights(source: Path, target: Path) -> None:
    """``source`` saved again as ``target`` with its weights in ``target.data``: written in a private
    folder, then moved in, the weights first (``target`` existing means both are whole)."""
    import shutil

    import onnx

    work = Path(tempfile.mkdtemp(prefix=".external-", dir=target.parent))
    try:
        data = target.name + ".data"
        onnx.save_model(onnx.load(str(source)), str(work / target.name), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data, size_threshold=1024)
        os.replace(work / data, target.parent / data)
        os.replace(work / target.name, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fast_tokenizer(model_dir: Path, max_seq_length: int):
    """The model's own tokenizer (``tokenizer.json``) with the ``tokenizers`` library alone, set to
    truncate at ``max_seq_length`` tokens (special tokens included) and pad a batch to its longest, as
    sentence-transformers calls it; None for a model folder without ``tokenizer.json``."""
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_seq_length)
    config = _json(model_dir / "tokenizer_config.json")
    pad = config.get("pad_token") or "[PAD]"
    pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
    pad_id = tokenizer.token_to_id(pad)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad)
    return tokenizer


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        return {}


class OnnxEncoder:
    """Tokenizes with ``tokenizers`` (the model's ``tokenizer.json``) and runs ONNX Runtime: neither
    torch nor transformers is imported once the ONNX file exists (a model folder without
    ``tokenizer.json`` falls back to transformers' tokenizer)."""

    def __init__(self, model_dir: Path, cache: Path, quantized: bool, max_seq_length: int, threads: int = 0) -> None:
        if not _pooling_is_mean(model_dir):
            raise UserError(f"the ONNX backend supports mean-pooling models only; {model_dir} pools otherwise: "
                            "set ASSISTANT_BACKEND=torch")
        import onnxruntime as ort

        path = self.path = export(model_dir, cache, quantized)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Its threads sleep when a run ends instead of spinning for more work: spinning, they took the cores
        # from the dense search's BLAS threads that run next (a question's encode 7 -> 15 ms at 100,000
        # passages, measured with eval/bench.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.max_seq_length = max_seq_length
        self.fast = fast_tokenizer(model_dir, max_seq_length)
        if self.fast is None:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        else:
            self.tokenizer = self.fast

    def _features(self, texts: list[str]) -> dict[str, np.ndarray]:
        if self.fast is None:
            batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                                   return_tensors="np")
            return {k: np.asarray(v, dtype=np.int64) for k, v in batch.items()}
        encodings = self.fast.encode_batch(texts)
        return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = []
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # like lengths pad least
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = self._features([texts[i] for i in rows])
            feeds = {k: v for k, v in batch.items() if k in self.inputs}
            hidden = self.session.run(None, feeds)[0]
            mask = batch["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out.append((rows, pooled))
        result = np.zeros((len(texts), out[0][1].shape[1] if out else 0), dtype=np.float32)
        for rows, pooled in out:
            result[rows] = pooled
        return result
