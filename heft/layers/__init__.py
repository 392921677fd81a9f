"""Layers: the ``Layer`` base class and the built-in layers."""

from ._activation import Activation as Activation
from ._activation import Identity as Identity
from ._advanced_activations import ELU as ELU
from ._advanced_activations import LeakyReLU as LeakyReLU
from ._advanced_activations import PReLU as PReLU
from ._advanced_activations import ReLU as ReLU
from ._advanced_activations import Softmax as Softmax
from ._attention import AdditiveAttention as AdditiveAttention
from ._attention import Attention as Attention
from ._conv import Conv1D as Conv1D
from ._conv import Conv1D as Convolution1D
from ._conv import Conv2D as Conv2D
from ._conv import Conv2D as Convolution2D
from ._conv import Conv3D as Conv3D
from ._conv import Conv3D as Convolution3D
from ._conv_transpose import Conv1DTranspose as Conv1DTranspose
from ._conv_transpose import Conv1DTranspose as Convolution1DTranspose
from ._conv_transpose import Conv2DTranspose as Conv2DTranspose
from ._conv_transpose import Conv2DTranspose as Convolution2DTranspose
from ._conv_transpose import Conv3DTranspose as Conv3DTranspose
from ._conv_transpose import Conv3DTranspose as Convolution3DTranspose
from ._dense import Dense as Dense
from ._depthwise import DepthwiseConv1D as DepthwiseConv1D
from ._depthwise import DepthwiseConv2D as DepthwiseConv2D
from ._depthwise import SeparableConv1D as SeparableConv1D
from ._depthwise import SeparableConv1D as SeparableConvolution1D
from ._depthwise import SeparableConv2D as SeparableConv2D
from ._depthwise import SeparableConv2D as SeparableConvolution2D
from ._dropout import Dropout as Dropout
from ._einsum_dense import EinsumDense as EinsumDense
from ._embedding import Embedding as Embedding
from ._flatten import Flatten as Flatten
from ._gru import GRU as GRU
from ._gru import GRUCell as GRUCell
from ._input_layer import Input as Input
from ._input_layer import InputLayer as InputLayer
from ._input_spec import InputSpec as InputSpec
from ._lambda import Lambda as Lambda
from ._layer import Layer as Layer
from ._lstm import LSTM as LSTM
from ._lstm import LSTMCell as LSTMCell
from ._masking import Masking as Masking
from ._merging import Add as Add
from ._merging import Average as Average
from ._merging import Concatenate as Concatenate
from ._merging import Dot as Dot
from ._merging import Maximum as Maximum
from ._merging import Minimum as Minimum
from ._merging import Multiply as Multiply
from ._merging import Subtract as Subtract
from ._multi_head_attention import MultiHeadAttention as MultiHeadAttention
from ._normalization import BatchNormalization as BatchNormalization
from ._normalization import GroupNormalization as GroupNormalization
from ._normalization import LayerNormalization as LayerNormalization
from ._normalization import UnitNormalization as UnitNormalization
from ._pooling import AveragePooling1D as AveragePooling1D
from ._pooling import AveragePooling2D as AveragePooling2D
from ._pooling import AveragePooling3D as AveragePooling3D
from ._pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from ._pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from ._pooling import GlobalAveragePooling3D as GlobalAveragePooling3D
from ._pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from ._pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from ._pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from ._pooling import MaxPooling1D as MaxPooling1D
from ._pooling import MaxPooling2D as MaxPooling2D
from ._pooling import MaxPooling3D as MaxPooling3D
from ._rescaling import Rescaling as Rescaling
from ._reshaping import Cropping1D as Cropping1D
from ._reshaping import Cropping2D as Cropping2D
from ._reshaping import Cropping3D as Cropping3D
from ._reshaping import Permute as Permute
from ._reshaping import RepeatVector as RepeatVector
from ._reshaping import Reshape as Reshape
from ._reshaping import UpSampling1D as UpSampling1D
from ._reshaping import UpSampling2D as UpSampling2D
from ._reshaping import UpSampling3D as UpSampling3D
from ._reshaping import ZeroPadding1D as ZeroPadding1D
from ._reshaping import ZeroPadding2D as ZeroPadding2D
from ._reshaping import ZeroPadding3D as ZeroPadding3D
from ._rnn import RNN as RNN
from ._rnn_cell import StackedRNNCells as StackedRNNCells
from ._serialization import deserialize as deserialize
from ._serialization import serialize as serialize
from ._simple_rnn import SimpleRNN as SimpleRNN
from ._simple_rnn import SimpleRNNCell as SimpleRNNCell
from ._wrappers import Bidirectional as Bidirectional
from ._wrappers import TimeDistributed as TimeDistributed

# isort: split
# Preprocessing layers (host-side where they handle strings).
from ._category_encoding import CategoryEncoding as CategoryEncoding
from ._discretization import Discretization as Discretization
from ._feature_normalization import Normalization as Normalization
from ._hashed_crossing import HashedCrossing as HashedCrossing
from ._hashing import Hashing as Hashing
from ._lookups import IntegerLookup as IntegerLookup
from ._lookups import StringLookup as StringLookup
from ._mel_spectrogram import MelSpectrogram as MelSpectrogram
from ._pipeline import Pipeline as Pipeline
from ._stft_spectrogram import STFTSpectrogram as STFTSpectrogram
from ._text_vectorization import TextVectorization as TextVectorization

# isort: split
# Aliases, functional merge forms and the layers of the names added with them.
from ._adaptive_pooling import AdaptiveAveragePooling1D as AdaptiveAveragePooling1D
from ._adaptive_pooling import AdaptiveAveragePooling2D as AdaptiveAveragePooling2D
from ._adaptive_pooling import AdaptiveAveragePooling3D as AdaptiveAveragePooling3D
from ._adaptive_pooling import AdaptiveMaxPooling1D as AdaptiveMaxPooling1D
from ._adaptive_pooling import AdaptiveMaxPooling2D as AdaptiveMaxPooling2D
from ._adaptive_pooling import AdaptiveMaxPooling3D as AdaptiveMaxPooling3D
from ._conv_lstm import ConvLSTM1D as ConvLSTM1D
from ._conv_lstm import ConvLSTM2D as ConvLSTM2D
from ._conv_lstm import ConvLSTM3D as ConvLSTM3D
from ._group_query_attention import GroupedQueryAttention as GroupQueryAttention
from ._jax_layer import FlaxLayer as FlaxLayer
from ._jax_layer import JaxLayer as JaxLayer
from ._merge_functions import add as add
from ._merge_functions import average as average
from ._merge_functions import concatenate as concatenate
from ._merge_functions import dot as dot
from ._merge_functions import maximum as maximum
from ._merge_functions import minimum as minimum
from ._merge_functions import multiply as multiply
from ._merge_functions import subtract as subtract
from ._noise import ActivityRegularization as ActivityRegularization
from ._noise import AlphaDropout as AlphaDropout
from ._noise import GaussianDropout as GaussianDropout
from ._noise import GaussianNoise as GaussianNoise
from ._noise import SpatialDropout1D as SpatialDropout1D
from ._noise import SpatialDropout2D as SpatialDropout2D
from ._noise import SpatialDropout3D as SpatialDropout3D
from ._pooling import AveragePooling1D as AvgPool1D
from ._pooling import AveragePooling2D as AvgPool2D
from ._pooling import AveragePooling3D as AvgPool3D
from ._pooling import GlobalAveragePooling1D as GlobalAvgPool1D
from ._pooling import GlobalAveragePooling2D as GlobalAvgPool2D
from ._pooling import GlobalAveragePooling3D as GlobalAvgPool3D
from ._pooling import GlobalMaxPooling1D as GlobalMaxPool1D
from ._pooling import GlobalMaxPooling2D as GlobalMaxPool2D
from ._pooling import GlobalMaxPooling3D as GlobalMaxPool3D
from ._pooling import MaxPooling1D as MaxPool1D
from ._pooling import MaxPooling2D as MaxPool2D
from ._pooling import MaxPooling3D as MaxPool3D
from ._reversible_embedding import ReversibleEmbedding as ReversibleEmbedding
from ._rms_normalization import RMSNormalization as RMSNormalization
from ._spectral_normalization import SpectralNormalization as SpectralNormalization
from ._tfsm_layer import TFSMLayer as TFSMLayer
from ._torch_module_wrapper import TorchModuleWrapper as TorchModuleWrapper
from ._wrapper import Wrapper as Wrapper

# isort: split
# Image preprocessing and augmentation layers.
from ._image_color import RandomBrightness as RandomBrightness
from ._image_color import RandomContrast as RandomContrast
from ._image_geometric import RandomCrop as RandomCrop
from ._image_geometric import RandomFlip as RandomFlip
from ._image_geometric import RandomRotation as RandomRotation
from ._image_geometric import RandomTranslation as RandomTranslation
from ._image_geometric import RandomZoom as RandomZoom
from ._image_hsv import RandomColorDegeneration as RandomColorDegeneration
from ._image_hsv import RandomHue as RandomHue
from ._image_hsv import RandomSaturation as RandomSaturation
from ._image_hsv import RandomSharpness as RandomSharpness
from ._image_jitter import RandomColorJitter as RandomColorJitter
from ._image_mix import CutMix as CutMix
from ._image_mix import MixUp as MixUp
from ._image_mix import RandomGaussianBlur as RandomGaussianBlur
from ._image_resizing import CenterCrop as CenterCrop
from ._image_resizing import Resizing as Resizing
from ._image_tone import AutoContrast as AutoContrast
from ._image_tone import RandomGrayscale as RandomGrayscale
from ._image_tone import RandomInvert as RandomInvert
from ._image_tone import RandomPosterization as RandomPosterization
from ._image_tone import Solarization as Solarization
from ._image_warp import RandomElasticTransform as RandomElasticTransform
from ._image_warp import RandomPerspective as RandomPerspective
from ._image_warp import RandomShear as RandomShear

# isort: split
# Bounding-box count of dict inputs to the image layers.
from ._image_max_boxes import MaxNumBoundingBoxes as MaxNumBoundingBoxes

# isort: split
# Erasing, histogram equalization and augmentation policies.
from ._image_equalization import (
    ContrastLimitedAdaptiveHistogramEqualization as ContrastLimitedAdaptiveHistogramEqualization,
)
from ._image_equalization import Equalization as Equalization
from ._image_erasing import RandomErasing as RandomErasing
from ._image_policies import AugMix as AugMix
from ._image_policies import RandAugment as RandAugment
