"""Bounding-box utilities, compatible with ``keras.utils.bounding_boxes``."""

from ._converters import affine_transform as affine_transform
from ._converters import clip_to_image_size as clip_to_image_size
from ._converters import convert_format as convert_format
from ._converters import crop as crop
from ._converters import decode_deltas_to_boxes as decode_deltas_to_boxes
from ._converters import encode_box_to_deltas as encode_box_to_deltas
from ._converters import pad as pad
from ._iou import compute_ciou as compute_ciou
from ._iou import compute_iou as compute_iou
