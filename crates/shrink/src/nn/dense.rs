use super::{ensure_len, Activation, Initializer, Layer, Param, Role};
use crate::kernels::{matmul, matmul_nt, matmul_tn, multiversion, Mat, Parallelism};
use crate::rng::Rng;
use crate::{Constraint, Error, Float, Penalty};

/// A fully connected layer `y = f(x·W + b)` with `W` stored `[in, out]` (Keras layout).
#[derive(Debug, Clone)]
pub struct Dense<F> {
    name: String,
    units: usize,
    activation: Activation,
    kernel_initializer: Initializer,
    use_bias: bool,
    kernel_penalty: Option<Penalty>,
    kernel_row_factors: Option<Vec<f64>>,
    kernel_constraint: Option<Constraint>,
    bias_constraint: Option<Constraint>,
    bias_penalty: Option<Penalty>,
    activity_penalty: Option<Penalty>,
    inputs: usize,
    params: Vec<Param<F>>,
    output: Vec<F>,
    dz: Vec<F>,
    dx: Vec<F>,
    /// `grad_output` plus the activity penalty's gradient (used only with an activity penalty).
    da: Vec<F>,
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
            kernel_row_factors: None,
            kernel_constraint: None,
            bias_constraint: None,
            bias_penalty: None,
            activity_penalty: None,
            inputs: 0,
            params: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dx: Vec::new(),
            da: Vec::new(),
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

    /// Per-input penalty factors on the kernel (glmnet's `penalty.factor`): input `i`'s row is
    /// penalized with the kernel penalty times `factors[i]`; 0 never penalizes that input.
    /// Checked at build: finite, ≥ 0, one per input, not with column groups.
    pub fn kernel_row_factors(mut self, factors: Vec<f64>) -> Self {
        self.kernel_row_factors = Some(factors);
        self
    }

    /// Constrains the kernel after every step (Keras `kernel_constraint`); checked at build.
    pub fn kernel_constraint(mut self, constraint: Constraint) -> Self {
        self.kernel_constraint = Some(constraint);
        self
    }

    /// Constrains the bias after every step (Keras `bias_constraint`); checked at build.
    pub fn bias_constraint(mut self, constraint: Constraint) -> Self {
        self.bias_constraint = Some(constraint);
        self
    }

    /// Penalizes the bias (off by default, as in Keras).
    pub fn bias_penalty(mut self, penalty: Penalty) -> Self {
        self.bias_penalty = Some(penalty);
        self
    }

    /// Penalizes the layer's outputs (Keras `activity_regularizer`): `(l1·Σ|a| + l2·Σa²)/batch`
    /// over the batch's activations joins the loss once per step, and its gradient joins the
    /// gradient at this layer's output. Gradient mode, L1/L2 only (checked at build).
    pub fn activity_penalty(mut self, penalty: Penalty) -> Self {
        self.activity_penalty = Some(penalty);
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
                message: format!(
                    "Dense expects flat inputs (one axis per sample), got shape {input_shape:?}; add a Flatten layer"
                ),
            });
        };
        if inputs == 0 || self.units == 0 {
            return Err(Error::Layer {
                layer: self.name.clone(),
                message: format!("Dense needs ≥ 1 input and ≥ 1 unit, got {inputs} → {}", self.units),
            });
        }
        if let Some(p) = self.activity_penalty {
            if p.mode() != crate::PenaltyMode::Gradient || p.group_strength() != 0.0 {
                return Err(Error::Layer {
                    layer: self.name.clone(),
                    message: "an activity penalty takes l1 and l2 in gradient mode only (no group, not proximal or decoupled)"
                        .to_string(),
                });
            }
        }
        self.inputs = inputs;
        let mut kernel = Param::zeros(Role::Kernel, vec![inputs, self.units]);
        self.kernel_initializer.fill(&mut kernel.value, inputs, self.units, rng);
        kernel.penalty = self.kernel_penalty;
        for c in self.kernel_constraint.iter().chain(&self.bias_constraint) {
            c.validate().map_err(|e| Error::Layer { layer: self.name.clone(), message: e.to_string() })?;
        }
        kernel.constraint = self.kernel_constraint;
        if let Some(factors) = &self.kernel_row_factors {
            super::check_row_factors(factors, inputs, self.kernel_penalty)
                .map_err(|e| Error::Layer { layer: self.name.clone(), message: e.to_string() })?;
            kernel.row_factors = Some(factors.clone());
        }
        self.params = vec![kernel];
        if self.use_bias {
            let mut bias = Param::zeros(Role::Bias, vec![self.units]);
            bias.penalty = self.bias_penalty;
            bias.constraint = self.bias_constraint;
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
        let bias = self.params.get(1).map(|b| b.value.as_slice());
        let out = &mut self.output[..batch * n];
        dense_forward(input, &self.params[0].value, bias, out, batch, k, n, self.activation, par);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (k, n) = (self.inputs, self.units);
        ensure_len(&mut self.dz, batch * n);
        if need_input_grad {
            ensure_len(&mut self.dx, batch * k);
        }
        let mut grad_output = &grad_output[..batch * n];
        if let Some(p) = self.activity_penalty {
            ensure_len(&mut self.da, batch * n);
            let (l1, l2, inv) = (p.l1_strength(), p.l2_strength(), 1.0 / batch as f64);
            let (c1, c2) = (F::of(l1 * inv), F::of(2.0 * l2 * inv));
            for ((d, &g), &a) in self.da.iter_mut().zip(grad_output).zip(&self.output[..batch * n]) {
                let sign = if a > F::zero() {
                    F::one()
                } else if a < F::zero() {
                    -F::one()
                } else {
                    F::zero()
                };
                *d = g + c1 * sign + c2 * a;
            }
            grad_output = &self.da[..batch * n];
        }
        let (kernel, rest) = self.params.split_first_mut().expect("built Dense has a kernel");
        let dx = if need_input_grad { Some(&mut self.dx[..batch * k]) } else { None };
        dense_backward(
            input,
            grad_output,
            &self.output[..batch * n],
            &mut self.dz[..batch * n],
            &kernel.value,
            &mut kernel.grad,
            rest.first_mut().map(|b| b.grad.as_mut_slice()),
            dx,
            batch,
            k,
            n,
            self.activation,
            par,
        );
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

    fn activity_penalty(&self) -> Option<Penalty> {
        self.activity_penalty
    }

    fn activity_penalty_value(&self, batch: usize) -> f64 {
        let Some(p) = self.activity_penalty else { return 0.0 };
        let (l1, l2) = (p.l1_strength(), p.l2_strength());
        let (mut s1, mut s2) = (0.0, 0.0);
        for &a in &self.output[..batch * self.units] {
            let a = a.f64();
            s1 += a.abs();
            s2 += a * a;
        }
        (l1 * s1 + l2 * s2) / batch as f64
    }
}

multiversion! {
    /// `out = f(x·W + b)` for one batch.
    pub(super) fn dense_forward<F: Float>(
        input: &[F],
        kernel: &[F],
        bias: Option<&[F]>,
        out: &mut [F],
        batch: usize,
        k: usize,
        n: usize,
        activation: Activation,
        par: Parallelism<'_>,
    ) {
        let beta = if let Some(bias) = bias {
            for row in out.chunks_exact_mut(n) {
                row.copy_from_slice(bias);
            }
            F::one()
        } else {
            F::zero()
        };
        matmul(Mat::new(input, batch, k), Mat::new(kernel, k, n), beta, out, par);
        activation.forward(out, n);
    }
}

multiversion! {
    /// `dZ = g ⊙ f'`, `dW = Xᵀ·dZ`, `db = Σ_rows dZ`, and optionally `dX = dZ·Wᵀ`.
    pub(super) fn dense_backward<F: Float>(
        input: &[F],
        grad_output: &[F],
        output: &[F],
        dz: &mut [F],
        kernel: &[F],
        kernel_grad: &mut [F],
        bias_grad: Option<&mut [F]>,
        dx: Option<&mut [F]>,
        batch: usize,
        k: usize,
        n: usize,
        activation: Activation,
        par: Parallelism<'_>,
    ) {
        activation.backward(output, grad_output, dz, n);
        let dz = &*dz;
        matmul_tn(Mat::new(input, batch, k), Mat::new(dz, batch, n), F::zero(), kernel_grad, par);
        if let Some(bias_grad) = bias_grad {
            bias_grad.fill(F::zero());
            for row in dz.chunks_exact(n) {
                for (g, &d) in bias_grad.iter_mut().zip(row) {
                    *g += d;
                }
            }
        }
        if let Some(dx) = dx {
            matmul_nt(Mat::new(dz, batch, n), Mat::new(kernel, k, n), dx, par);
        }
    }
}
