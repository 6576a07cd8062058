"""The data-loading snippets of the seed documents, run with ``from recio import mx``.

Seeds 001/002 (the "Iterators - Loading data" tutorial) and 003 (the Data Loading API
reference). Each test is one snippet with ``import mxnet as mx`` replaced by
``from recio import mx``, kept as written where it runs on Python 3; its output is then
checked. Left out: model training (``mx.sym``, ``mx.mod``), ``mx.image`` and the image
iterators, and the downloads. Two snippets do not run as written on Python 3 under MXNet
either, and are adapted as noted: SimpleIter stores ``zip`` objects (consumed by the first
batch) and MultiIter uses ``[*b.data for b in batches]``, a SyntaxError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio import mx

DataBatch = mx.io.DataBatch  # seed 003's MultiIter uses the bare name


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snippets write relative files (data.csv, tmp.rec)."""
    monkeypatch.chdir(tmp_path)


# -- seed 001: Iterators - Loading data ---------------------------------------------------


def test_001_ndarray_iter(capsys: pytest.CaptureFixture[str]) -> None:
    data = np.random.rand(100, 3)
    label = np.random.randint(0, 10, (100,))
    data_iter = mx.io.NDArrayIter(data=data, label=label, batch_size=30)
    for batch in data_iter:
        print([batch.data, batch.label, batch.pad])

    assert capsys.readouterr().out.count("NDArray") == 8  # printed, as lists
    data_iter.reset()
    batches = list(data_iter)
    assert [b.pad for b in batches] == [0, 0, 0, 20]
    assert all(b.data[0].shape == (30, 3) and b.label[0].shape == (30,) for b in batches)
    np.testing.assert_array_equal(batches[-1].data[0][10:], data[:20].astype(np.float32))


def test_001_csv_iter() -> None:
    data = np.random.rand(100, 3)
    # lets save `data` into a csv file first and try reading it back
    np.savetxt("data.csv", data, delimiter=",")
    data_iter = mx.io.CSVIter(data_csv="data.csv", data_shape=(3,), batch_size=30)
    for batch in data_iter:
        print([batch.data, batch.pad])

    # a fresh iterator: after reset() the round batch carries on (3 batches, pad 10)
    batches = list(mx.io.CSVIter(data_csv="data.csv", data_shape=(3,), batch_size=30))
    assert [b.pad for b in batches] == [0, 0, 0, 20]
    np.testing.assert_allclose(batches[0].data[0], data[:30], rtol=1e-6)
    data_iter.reset()
    assert [b.pad for b in data_iter] == [0, 0, 10]


class SimpleIter(mx.io.DataIter):  # seed 001, as written
    def __init__(
        self,
        data_names,
        data_shapes,
        data_gen,
        label_names,
        label_shapes,
        label_gen,
        num_batches=10,
    ):
        self._provide_data = zip(data_names, data_shapes, strict=False)
        self._provide_label = zip(label_names, label_shapes, strict=False)
        self.num_batches = num_batches
        self.data_gen = data_gen
        self.label_gen = label_gen
        self.cur_batch = 0

    def __iter__(self):
        return self

    def reset(self):
        self.cur_batch = 0

    def __next__(self):
        return self.next()

    @property
    def provide_data(self):
        return self._provide_data

    @property
    def provide_label(self):
        return self._provide_label

    def next(self):
        if self.cur_batch < self.num_batches:
            self.cur_batch += 1
            data = [mx.nd.array(g(d[1])) for d, g in zip(self._provide_data, self.data_gen)]  # noqa: B905
            label = [mx.nd.array(g(d[1])) for d, g in zip(self._provide_label, self.label_gen)]  # noqa: B905
            return mx.io.DataBatch(data, label)
        else:
            raise StopIteration


class ListSimpleIter(SimpleIter):
    """SimpleIter with lists instead of zip objects, so every batch has data."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._provide_data = list(self._provide_data)
        self._provide_label = list(self._provide_label)


def make_simple_iter(cls: type[SimpleIter]) -> SimpleIter:
    num_classes = 10
    n = 32
    return cls(
        ["data"],
        [(n, 100)],
        [lambda s: np.random.uniform(-1, 1, s)],
        ["softmax_label"],
        [(n,)],
        [lambda s: np.random.randint(0, num_classes, s)],
    )


def test_001_simple_iter() -> None:
    data_iter = make_simple_iter(SimpleIter)
    batches = list(data_iter)
    assert len(batches) == 10
    # as written, the zips are used up by the first batch (so in MXNet too)
    assert [d.shape for d in batches[0].data] == [(32, 100)]
    assert [lab.shape for lab in batches[0].label] == [(32,)]
    assert batches[1].data == [] and batches[1].label == []

    data_iter = make_simple_iter(ListSimpleIter)
    for epoch in range(2):
        if epoch:
            data_iter.reset()
        batches = list(data_iter)
        assert len(batches) == 10
        for batch in batches:
            assert batch.data[0].shape == (32, 100) and batch.data[0].dtype == np.float32
            assert batch.label[0].shape == (32,)
            assert (np.abs(batch.data[0]) <= 1).all() and (batch.label[0] < 10).all()
    # the wrappers take a user iterator too
    resized = mx.io.ResizeIter(make_simple_iter(ListSimpleIter), 3)
    assert len(list(resized)) == 3


def test_001_mxrecordio(capsys: pytest.CaptureFixture[str]) -> None:
    record = mx.recordio.MXRecordIO("tmp.rec", "w")
    for i in range(5):
        record.write("record_%d" % i)
    record.close()

    record = mx.recordio.MXRecordIO("tmp.rec", "r")
    while True:
        item = record.read()
        if not item:
            break
        print(item)
    record.close()
    assert capsys.readouterr().out.split() == [f"b'record_{i}'" for i in range(5)]


def test_001_mxindexedrecordio() -> None:
    record = mx.recordio.MXIndexedRecordIO("tmp.idx", "tmp.rec", "w")
    for i in range(5):
        record.write_idx(i, "record_%d" % i)
    record.close()

    record = mx.recordio.MXIndexedRecordIO("tmp.idx", "tmp.rec", "r")
    assert record.read_idx(3) == b"record_3"
    assert list(record.keys) == [0, 1, 2, 3, 4]
    record.close()


def test_001_pack_unpack() -> None:
    # pack
    data = "data"
    label1 = 1.0
    header1 = mx.recordio.IRHeader(flag=0, label=label1, id=1, id2=0)
    s1 = mx.recordio.pack(header1, data)

    label2 = [1.0, 2.0, 3.0]
    header2 = mx.recordio.IRHeader(flag=3, label=label2, id=2, id2=0)
    s2 = mx.recordio.pack(header2, data)
    # unpack
    print(mx.recordio.unpack(s1))
    print(mx.recordio.unpack(s2))

    header, payload = mx.recordio.unpack(s1)
    assert (header.flag, header.label, header.id, header.id2, payload) == (0, 1.0, 1, 0, b"data")
    header, payload = mx.recordio.unpack(s2)
    assert header.flag == 3 and payload == b"data"
    np.testing.assert_array_equal(header.label, [1.0, 2.0, 3.0])


def test_001_pack_img() -> None:
    data = np.ones((3, 3, 1), dtype=np.uint8)
    label = 1.0
    header = mx.recordio.IRHeader(flag=0, label=label, id=0, id2=0)
    s = mx.recordio.pack_img(header, data, quality=100, img_fmt=".jpg")
    # unpack_img
    print(mx.recordio.unpack_img(s))

    header, img = mx.recordio.unpack_img(s)
    assert header.label == 1.0 and img.shape[:2] == (3, 3)
    assert (img == 1).all()


# -- seed 003: Data Loading API ------------------------------------------------------------


def test_003_nd_iter_provide(capsys: pytest.CaptureFixture[str]) -> None:
    nd_iter = mx.io.NDArrayIter(
        data={"data": mx.nd.ones((100, 10))},
        label={"softmax_label": mx.nd.ones((100,))},
        batch_size=25,
    )
    print(nd_iter.provide_data)
    print(nd_iter.provide_label)
    assert capsys.readouterr().out.splitlines() == [
        "[DataDesc[data,(25, 10),<class 'numpy.float32'>,NCHW]]",
        "[DataDesc[softmax_label,(25,),<class 'numpy.float32'>,NCHW]]",
    ]
    assert len(list(nd_iter)) == 4


class MultiIter:  # seed 003, with [*b.data for b in batches] (a SyntaxError) spelled out
    def __init__(self, iter_list):
        self.iters = iter_list

    def next(self):
        batches = [i.next() for i in self.iters]
        return DataBatch(
            data=[d for b in batches for d in b.data],
            label=[lab for b in batches for lab in b.label],
        )

    def reset(self):
        for i in self.iters:
            i.reset()

    @property
    def provide_data(self):
        return [d for i in self.iters for d in i.provide_data]

    @property
    def provide_label(self):
        return [d for i in self.iters for d in i.provide_label]


def test_003_multi_iter_syntax() -> None:
    with pytest.raises(SyntaxError):
        compile("[*b.data for b in batches]", "<seed 003>", "eval")


def test_003_multi_iter_ndarray() -> None:
    images = mx.io.NDArrayIter(np.zeros((8, 3, 4, 4)), np.arange(8), batch_size=4)
    captions = mx.io.NDArrayIter({"caption": np.ones((8, 5))}, batch_size=4)
    it = MultiIter([images, captions])
    assert [d.name for d in it.provide_data] == ["data", "caption"]
    batch = it.next()
    assert [d.shape for d in batch.data] == [(4, 3, 4, 4), (4, 5)]
    assert [lab.shape for lab in batch.label] == [(4,)]
    it.next()
    with pytest.raises(StopIteration):
        it.next()
    it.reset()
    assert it.next().data[1].shape == (4, 5)


def test_003_multi_iter_with_csv() -> None:
    np.savetxt("txt.csv", np.arange(24).reshape(8, 3), delimiter=",")
    it = MultiIter(
        [
            mx.io.NDArrayIter(np.zeros((8, 3, 4, 4)), np.arange(8), batch_size=4),
            mx.io.CSVIter(data_csv="txt.csv", data_shape=(3,), batch_size=4),
        ]
    )
    batch = it.next()
    assert [d.shape for d in batch.data] == [(4, 3, 4, 4), (4, 3)]
    np.testing.assert_array_equal(batch.data[1], np.arange(12).reshape(4, 3))


def test_003_batch_layout() -> None:
    seq_length, batch_size = 7, 5

    class SeqIter(mx.io.DataIter):
        @property
        def provide_data(self):
            return [mx.io.DataDesc(name="seq_var", shape=(seq_length, batch_size), layout="TN")]

    (desc,) = SeqIter().provide_data
    assert mx.io.DataDesc.get_batch_axis(desc.layout) == 1
    assert desc.shape[mx.io.DataDesc.get_batch_axis(desc.layout)] == batch_size
    it = mx.io.NDArrayIter(np.zeros((seq_length, 12)), batch_size=batch_size, layout="TN")
    assert it.provide_data[0].shape == (seq_length, batch_size)


def test_003_ndarray_iter_examples() -> None:
    data = np.arange(40).reshape((10, 2, 2))
    labels = np.ones([10, 1])
    dataiter = mx.io.NDArrayIter(data, labels, 3, True, last_batch_handle="discard")
    shapes = []
    for batch in dataiter:
        print(batch.data[0].asnumpy())
        shapes.append(batch.data[0].shape)
    assert shapes == [(3, 2, 2)] * 3
    assert repr(dataiter.provide_data) == "[DataDesc[data,(3, 2, 2),<class 'numpy.float32'>,NCHW]]"
    assert repr(dataiter.provide_label) == (
        "[DataDesc[softmax_label,(3, 1),<class 'numpy.float32'>,NCHW]]"
    )

    dataiter = mx.io.NDArrayIter(data, labels, 3, True, last_batch_handle="pad")
    batchidx = 0
    for batch in dataiter:  # noqa: B007 - as in the seed
        batchidx += 1
    assert batchidx == 4
    dataiter = mx.io.NDArrayIter(data, labels, 3, True, last_batch_handle="discard")
    batchidx = 0
    for batch in dataiter:  # noqa: B007 - as in the seed
        batchidx += 1
    assert batchidx == 3

    data = {"data1": np.zeros(shape=(10, 2, 2)), "data2": np.zeros(shape=(20, 2, 2))}
    label = {"label1": np.zeros(shape=(10, 1)), "label2": np.zeros(shape=(20, 1))}
    dataiter = mx.io.NDArrayIter(data, label, 3, True, last_batch_handle="discard")
    batches = list(dataiter)
    assert len(batches) == 3
    assert [d.shape for d in batches[0].data + batches[0].label] == [(3, 2, 2)] * 2 + [(3, 1)] * 2


def test_003_resize_iter(capsys: pytest.CaptureFixture[str]) -> None:
    nd_iter = mx.io.NDArrayIter(mx.nd.ones((100, 10)), batch_size=25)
    resize_iter = mx.io.ResizeIter(nd_iter, 2)
    for batch in resize_iter:
        print(batch.data)
    assert capsys.readouterr().out.count("\n") >= 2
    resize_iter.reset()
    assert [b.data[0].shape for b in resize_iter] == [(25, 10), (25, 10)]


def test_003_prefetching_iter(capsys: pytest.CaptureFixture[str]) -> None:
    iter1 = mx.io.NDArrayIter({"data": mx.nd.ones((100, 10))}, batch_size=25)
    iter2 = mx.io.NDArrayIter({"data": mx.nd.ones((100, 10))}, batch_size=25)
    piter = mx.io.PrefetchingIter(
        [iter1, iter2], rename_data=[{"data": "data_1"}, {"data": "data_2"}]
    )
    print(piter.provide_data)
    assert capsys.readouterr().out.strip() == (
        "[DataDesc[data_1,(25, 10),<class 'numpy.float32'>,NCHW], "
        "DataDesc[data_2,(25, 10),<class 'numpy.float32'>,NCHW]]"
    )
    assert [len(b.data) for b in piter] == [2] * 4
    piter.close()


def write_csv() -> None:
    Path("data").mkdir()
    Path("data/data.csv").write_text("1,2,3\n2,3,4\n3,4,5\n4,5,6\n")


def test_003_csv_iter_round_batch() -> None:
    write_csv()
    CSVIter = mx.io.CSVIter(data_csv="data/data.csv", data_shape=(3,), batch_size=2)  # noqa: N806
    assert [b.data[0].tolist() for b in CSVIter] == [[[1, 2, 3], [2, 3, 4]], [[3, 4, 5], [4, 5, 6]]]

    CSVIter = mx.io.CSVIter(data_csv="data/data.csv", data_shape=(3,), batch_size=3)  # noqa: N806
    first = [b.data[0].tolist() for b in CSVIter]
    assert first == [[[1, 2, 3], [2, 3, 4], [3, 4, 5]], [[4, 5, 6], [1, 2, 3], [2, 3, 4]]]
    CSVIter.reset()
    assert [b.data[0].tolist() for b in CSVIter] == [[[3, 4, 5], [4, 5, 6], [1, 2, 3]]]


def test_003_csv_iter_no_round_batch() -> None:
    write_csv()
    CSVIter = mx.io.CSVIter(  # noqa: N806 - the seed's name
        data_csv="data/data.csv", data_shape=(3,), batch_size=3, round_batch=False
    )
    for epoch in range(2):
        if epoch:
            CSVIter.reset()
        batches = list(CSVIter)
        assert batches[0].data[0].tolist() == [[1, 2, 3], [2, 3, 4], [3, 4, 5]]
        assert batches[1].data[0][0].tolist() == [4, 5, 6]  # the rest is padding
        assert [b.pad for b in batches] == [0, 2]


def test_003_mxrecordio_examples(capsys: pytest.CaptureFixture[str]) -> None:
    record = mx.recordio.MXRecordIO("tmp.rec", "w")
    for i in range(5):
        record.write("record_%d" % i)
    record.close()
    record = mx.recordio.MXRecordIO("tmp.rec", "r")
    for i in range(5):  # noqa: B007 - as in the seed
        item = record.read()
        print(item)
    record.close()

    record = mx.recordio.MXRecordIO("tmp.rec", "r")
    for i in range(2):  # noqa: B007 - as in the seed
        item = record.read()
        print(item)
    record.reset()  # Pointer is reset.
    print(record.read())  # Started reading from start again.
    record.close()
    out = capsys.readouterr().out.split()
    assert out == [f"b'record_{i}'" for i in (0, 1, 2, 3, 4, 0, 1, 0)]


def test_003_mxindexedrecordio_tell() -> None:
    record = mx.recordio.MXIndexedRecordIO("tmp.idx", "tmp.rec", "w")
    tells = [record.tell()]
    for i in range(5):
        record.write_idx(i, "record_%d" % i)
        tells.append(record.tell())
    record.close()
    assert tells == [0, 16, 32, 48, 64, 80]
    record = mx.recordio.MXIndexedRecordIO("tmp.idx", "tmp.rec", "r")
    assert record.read_idx(3) == b"record_3"


def test_003_pack_examples() -> None:
    Path("payload.bin").write_bytes(b"raw image bytes")
    path = "payload.bin"
    label = 4  # label can also be a 1-D array, for example: label = [1,2,3]
    id = 2574
    header = mx.recordio.IRHeader(0, label, id, 0)
    with open(path, "rb") as file:
        s = file.read()
    packed_s = mx.recordio.pack(header, s)

    record = mx.recordio.MXRecordIO("test.rec", "w")
    record.write(packed_s)
    record.close()
    record = mx.recordio.MXRecordIO("test.rec", "r")
    item = record.read()
    header, s = mx.recordio.unpack(item)
    assert (header.flag, header.label, header.id, header.id2) == (0, 4.0, 2574, 0)
    assert s == b"raw image bytes"


def test_003_pack_img_examples() -> None:
    cv2 = pytest.importorskip("cv2")
    cv2.imwrite("test.jpg", np.full((8, 10, 3), 128, np.uint8))
    label = 4
    id = 2574
    header = mx.recordio.IRHeader(0, label, id, 0)
    img = cv2.imread("test.jpg")
    packed_s = mx.recordio.pack_img(header, img)

    record = mx.recordio.MXRecordIO("test.rec", "w")
    record.write(packed_s)
    record.close()
    record = mx.recordio.MXRecordIO("test.rec", "r")
    item = record.read()
    header, img = mx.recordio.unpack_img(item)
    assert header.id == 2574 and img.shape == (8, 10, 3) and img.dtype == np.uint8
