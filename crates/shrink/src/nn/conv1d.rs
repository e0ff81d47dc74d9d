use super::conv2d::{conv_options, ConvCore};
use crate::Float;

/// A 1-D convolution over channels-last `[steps, channels]` samples (Keras `Conv1D`), kernel
/// `[kernel_size, in, filters]`, bias `[filters]`. Runs as a [`Conv2D`](super::Conv2D) of height 1.
#[derive(Debug, Clone)]
pub struct Conv1D<F>(pub(crate) ConvCore<F>);

impl<F: Float> Conv1D<F> {
    /// `filters` output channels from a window of `kernel_size` steps; stride 1, valid padding,
    /// linear activation, glorot_uniform kernel, zero bias.
    pub fn new(filters: usize, kernel_size: usize) -> Self {
        Conv1D(ConvCore::new(1, filters, (1, kernel_size)))
    }
}

conv_options!(Conv1D, usize, |s| (1, s));
super::delegate_layer!(Conv1D);
