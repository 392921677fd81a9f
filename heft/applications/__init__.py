"""Keras's ``keras.applications``: image models with Keras's layers, names and ImageNet weights."""

from . import imagenet_utils as imagenet_utils
from . import inception_resnet_v2 as inception_resnet_v2
from . import inception_v3 as inception_v3
from . import mobilenet_v2 as mobilenet_v2
from . import resnet as resnet
from . import resnet50 as resnet50
from . import resnet_v2 as resnet_v2
from . import vgg16 as vgg16
from . import vgg19 as vgg19
from . import xception as xception
from ._inception_resnet_v2 import InceptionResNetV2 as InceptionResNetV2
from ._inception_v3 import InceptionV3 as InceptionV3
from ._mobilenet_v2 import MobileNetV2 as MobileNetV2
from ._resnet import ResNet50 as ResNet50
from ._resnet import ResNet50V2 as ResNet50V2
from ._resnet import ResNet101 as ResNet101
from ._resnet import ResNet101V2 as ResNet101V2
from ._resnet import ResNet152 as ResNet152
from ._resnet import ResNet152V2 as ResNet152V2
from ._vgg import VGG16 as VGG16
from ._vgg import VGG19 as VGG19
from ._xception import Xception as Xception
