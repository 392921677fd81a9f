"""Export for inference: ``ExportArchive`` writes TensorFlow SavedModels (needs ``tensorflow``)."""

from ._archive import ExportArchive as ExportArchive
