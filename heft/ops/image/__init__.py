"""Image ops, compatible with ``keras.ops.image`` (resizing, warps, colour spaces, filters)."""

from ._color import hsv_to_rgb as hsv_to_rgb
from ._color import rgb_to_grayscale as rgb_to_grayscale
from ._color import rgb_to_hsv as rgb_to_hsv
from ._filter import gaussian_blur as gaussian_blur
from ._filter import sobel_edges as sobel_edges
from ._filter import ssim as ssim
from ._resize import crop_images as crop_images
from ._resize import extract_patches as extract_patches
from ._resize import extract_patches_3d as extract_patches_3d
from ._resize import pad_images as pad_images
from ._resize import resize as resize
from ._resize import scale_and_translate as scale_and_translate
from ._transform import affine_transform as affine_transform
from ._transform import elastic_transform as elastic_transform
from ._transform import map_coordinates as map_coordinates
from ._transform import perspective_transform as perspective_transform
