import numpy as np
import pytest

from heft.callbacks import CSVLogger


def test_csv_logger_writes_sorted_keys_and_one_row_per_epoch(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit([CSVLogger(path)], model, [{"val_loss": 0.5, "loss": 0.25}, {"val_loss": 0.4, "loss": 0.2}])
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,0.25,0.5\r\n1,0.2,0.4\r\n"


def test_csv_logger_adds_val_columns_when_absent(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit([CSVLogger(path)], model, [{"loss": 0.5, "acc": 0.75}])
    assert path.read_text() == "epoch,acc,loss,val_acc,val_loss\n0,0.75,0.5,NA,NA\n"


def test_csv_logger_separator_and_iterables(model, fit, tmp_path):
    path = tmp_path / "log.tsv"
    fit(
        [CSVLogger(str(path), separator="\t")], model, [{"loss": 0.5, "val_loss": np.array([1, 2])}]
    )
    assert path.read_text() == "epoch\tloss\tval_loss\n0\t0.5\t[1, 2]\n"
    fit([CSVLogger(path, separator=";")], model, [{"loss": 0.5, "val_loss": [1, 2]}])
    assert path.read_text() == "epoch;loss;val_loss\n0;0.5;[1, 2]\n"


def test_csv_logger_overwrites_by_default(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    fit([CSVLogger(path)], model, [{"loss": 1.0, "val_loss": 2.0}])
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n"


def test_csv_logger_append_continues_without_a_second_header(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path, append=True)
    fit([logger], model, [{"loss": 1.0, "val_loss": 2.0}])
    fit([logger], model, [{"loss": 0.5, "val_loss": 1.5}])
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n0,0.5,1.5\n"


def test_csv_logger_append_to_empty_file_writes_header(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    fit([CSVLogger(path, append=True)], model, [{"loss": 1.0, "val_loss": 2.0}])
    assert path.read_text().startswith("epoch,loss,val_loss\n")


def test_csv_logger_file_is_complete_after_each_epoch(model, tmp_path):
    path = tmp_path / "sub" / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,1.0\n"
    logger.on_epoch_end(1, {"loss": 0.5})
    assert path.read_text().endswith("1,0.5,NA\n")


def test_csv_logger_rejects_bad_separator(tmp_path):
    with pytest.raises(TypeError, match="expects `separator` to be a single character"):
        CSVLogger(tmp_path / "x.csv", separator=", ")
