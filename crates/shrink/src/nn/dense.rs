use super::{ensure_len, Activation, Initializer, Layer, Param, Role};
use crate::kernels::{matmul, matmul_nt, matmul_tn, Mat, Parallelism};
use crate::rng::Rng;
use crate::{Error, Float, Penalty};

/// A fully connected layer `y = f(x·W + b)` with `W` stored `[in, out]` (Keras layout).
#[derive(Debug, Clone)]
pub struct Dense<F> {
    name: String,
    units: usize,
    activation: Activation,
    kernel_initializer: Initializer,
    use_bias: bool,
    kernel_penalty: Option<Penalty>,
    bias_penalty: Option<Penalty>,
    inputs: usize,
    params: Vec<Param<F>>,
    output: Vec<F>,
    dz: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> Dense<F> {
    /// A layer of `units` outputs, linear activation, glorot_uniform kernel, zero bias.
    pub fn new(units: usize) -> Self {
        Dense {
            name: String::new(),
            units,
            activation: Activation::Linear,
            kernel_initializer: Initializer::GlorotUniform,
            use_bias: true,
            kernel_penalty: None,
            bias_penalty: None,
            inputs: 0,
            params: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dx: Vec::new(),
        }
    }

    /// Sets the activation (default linear).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the kernel initializer (default glorot_uniform).
    pub fn kernel_initializer(mut self, init: Initializer) -> Self {
        self.kernel_initializer = init;
        self
    }

    /// Drops the bias (default: a bias is used).
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }

    /// Penalizes the kernel.
    pub fn kernel_penalty(mut self, penalty: Penalty) -> Self {
        self.kernel_penalty = Some(penalty);
        self
    }

    /// Penalizes the bias (off by default, as in Keras).
    pub fn bias_penalty(mut self, penalty: Penalty) -> Self {
        self.bias_penalty = Some(penalty);
        self
    }

    /// The activation in use.
    pub fn activation_kind(&self) -> Activation {
        self.activation
    }

    /// Number of outputs.
    pub fn units(&self) -> usize {
        self.units
    }
}

impl<F: Float> Layer<F> for Dense<F> {
    fn kind(&self) -> &'static str {
        "dense"
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn set_name(&mut self, name: String) {
        self.name = name;
    }

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let &[inputs] = input_shape else {
            return Err(Error::Layer {
                layer: self.name.clone(),
                message: format!("Dense expects flat inputs (one axis per sample), got shape {input_shape:?}; add a Flatten layer"),
            });
        };
        if inputs == 0 || self.units == 0 {
            return Err(Error::Layer {
                layer: self.name.clone(),
                message: format!("Dense needs ≥ 1 input and ≥ 1 unit, got {inputs} → {}", self.units),
            });
        }
        self.inputs = inputs;
        let mut kernel = Param::zeros(Role::Kernel, vec![inputs, self.units]);
        self.kernel_initializer.fill(&mut kernel.value, inputs, self.units, rng);
        kernel.penalty = self.kernel_penalty;
        self.params = vec![kernel];
        if self.use_bias {
            let mut bias = Param::zeros(Role::Bias, vec![self.units]);
            bias.penalty = self.bias_penalty;
            self.params.push(bias);
        }
        Ok(vec![self.units])
    }

    fn params(&self) -> &[Param<F>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut self.params
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, par: Parallelism) {
        let (k, n) = (self.inputs, self.units);
        ensure_len(&mut self.output, batch * n);
        let out = &mut self.output[..batch * n];
        let beta = if let Some(bias) = self.params.get(1) {
            for row in out.chunks_exact_mut(n) {
                row.copy_from_slice(&bias.value);
            }
            F::one()
        } else {
            F::zero()
        };
        matmul(Mat::new(input, batch, k), Mat::new(&self.params[0].value, k, n), beta, out, par);
        self.activation.forward(out, n);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (k, n) = (self.inputs, self.units);
        ensure_len(&mut self.dz, batch * n);
        let dz = &mut self.dz[..batch * n];
        self.activation.backward(&self.output[..batch * n], &grad_output[..batch * n], dz, n);
        let dz = &self.dz[..batch * n];
        let (kernel, rest) = self.params.split_first_mut().expect("built Dense has a kernel");
        matmul_tn(Mat::new(input, batch, k), Mat::new(dz, batch, n), F::zero(), &mut kernel.grad, par);
        if let Some(bias) = rest.first_mut() {
            bias.grad.fill(F::zero());
            for row in dz.chunks_exact(n) {
                for (g, &d) in bias.grad.iter_mut().zip(row) {
                    *g += d;
                }
            }
        }
        if need_input_grad {
            ensure_len(&mut self.dx, batch * k);
            matmul_nt(Mat::new(dz, batch, n), Mat::new(&kernel.value, k, n), &mut self.dx[..batch * k], par);
        }
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn forward_macs(&self) -> usize {
        self.inputs * self.units
    }

    fn clone_box(&self) -> Box<dyn Layer<F>> {
        Box::new(self.clone())
    }
}
