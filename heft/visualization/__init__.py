"""Drawing boxes and masks on images, and galleries of images, as in ``keras.visualization``."""

from ._draw_boxes import draw_bounding_boxes as draw_bounding_boxes
from ._draw_masks import draw_segmentation_masks as draw_segmentation_masks
from ._galleries import plot_bounding_box_gallery as plot_bounding_box_gallery
from ._galleries import plot_image_gallery as plot_image_gallery
from ._galleries import plot_segmentation_mask_gallery as plot_segmentation_mask_gallery
