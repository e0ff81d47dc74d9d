use super::{ensure_len, Activation, Initializer, Layer, LayerConfig, Param, Role};
use crate::kernels::{matmul, matmul_nt, matmul_tn, multiversion, Mat, Parallelism};
use crate::rng::Rng;
use crate::{Constraint, Error, Float, Penalty};
use serde::{Deserialize, Serialize};

/// Every option of a [`Dense`] layer, as specs and model files write it (`type = "dense"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseConfig {
    /// Outputs, ≥ 1.
    pub units: usize,
    /// Default linear.
    #[serde(default)]
    pub activation: Activation,
    /// Default true.
    #[serde(default = "yes")]
    pub use_bias: bool,
    /// Default glorot_uniform.
    #[serde(default)]
    pub kernel_initializer: Initializer,
    /// Penalty on the kernel; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_penalty: Option<Penalty>,
    /// Per-input factors on the kernel penalty (glmnet's `penalty.factor`, `[1, 0, …]`, one per
    /// input); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_row_factors: Option<Vec<f64>>,
    /// Penalty on the bias; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_penalty: Option<Penalty>,
    /// Penalty on the layer's outputs (Keras `activity_regularizer`, `{ l1 = …, l2 = … }`,
    /// divided by the batch size); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_penalty: Option<Penalty>,
    /// Constraint on the kernel (`{ name = "max_norm", max_value = 2 }`, `unit_norm`,
    /// `non_neg`); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_constraint: Option<Constraint>,
    /// Constraint on the bias; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_constraint: Option<Constraint>,
}

fn yes() -> bool {
    true
}

impl DenseConfig {
    /// `units` outputs, linear, glorot_uniform kernel, zero unpenalized bias.
    pub fn new(units: usize) -> Self {
        DenseConfig {
            units,
            activation: Activation::Linear,
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform,
            kernel_penalty: None,
            kernel_row_factors: None,
            bias_penalty: None,
            activity_penalty: None,
            kernel_constraint: None,
            bias_constraint: None,
        }
    }

    /// Checks what does not depend on the input shape: units, the activity penalty's mode,
    /// constraints, row factors' values (their count is checked against the inputs at build).
    pub fn validate(&self) -> Result<(), Error> {
        if self.units == 0 {
            return Err(Error::invalid("units", "≥ 1", 0));
        }
        if let Some(p) = &self.activity_penalty {
            if p.mode() != crate::PenaltyMode::Gradient || p.group_strength() != 0.0 {
                return Err(Error::invalid(
                    "activity_penalty",
                    "l1 and l2 in gradient mode only (an activity penalty has no group, is not proximal or decoupled)",
                    format!("{p:?}"),
                ));
            }
        }
        for c in self.kernel_constraint.iter().chain(&self.bias_constraint) {
            c.validate()?;
        }
        if let Some(bad) = self.kernel_row_factors.iter().flatten().find(|f| !(f.is_finite() && **f >= 0.0)) {
            return Err(Error::invalid("kernel_row_factors", "finite and ≥ 0", bad));
        }
        Ok(())
    }

    /// The unbuilt layer.
    pub fn into_layer<F: Float>(self) -> Dense<F> {
        Dense {
            name: String::new(),
            config: self,
            inputs: 0,
            params: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dx: Vec::new(),
            da: Vec::new(),
        }
    }
}

/// A fully connected layer `y = f(x·W + b)` with `W` stored `[in, out]` (Keras layout).
#[derive(Debug, Clone)]
pub struct Dense<F> {
    name: String,
    /// The options; penalties, row factors and constraints move onto the parameters at build.
    config: DenseConfig,
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
        DenseConfig::new(units).into_layer()
    }

    super::config_setters! {
        /// Sets the activation (default linear).
        activation(activation: Activation);
        /// Sets the kernel initializer (default glorot_uniform).
        kernel_initializer(init: Initializer);
        /// Drops the bias (default: a bias is used).
        use_bias(use_bias: bool);
        /// Penalizes the kernel.
        kernel_penalty(penalty: Penalty) => Some;
        /// Per-input penalty factors on the kernel (glmnet's `penalty.factor`): input `i`'s row is
        /// penalized with the kernel penalty times `factors[i]`; 0 never penalizes that input.
        /// Checked at build: finite, ≥ 0, one per input, not with column groups.
        kernel_row_factors(factors: Vec<f64>) => Some;
        /// Constrains the kernel after every step (Keras `kernel_constraint`); checked at build.
        kernel_constraint(constraint: Constraint) => Some;
        /// Constrains the bias after every step (Keras `bias_constraint`); checked at build.
        bias_constraint(constraint: Constraint) => Some;
        /// Penalizes the bias (off by default, as in Keras).
        bias_penalty(penalty: Penalty) => Some;
        /// Penalizes the layer's outputs (Keras `activity_regularizer`): `(l1·Σ|a| + l2·Σa²)/batch`
        /// over the batch's activations joins the loss once per step, and its gradient joins the
        /// gradient at this layer's output. Gradient mode, L1/L2 only (checked at build).
        activity_penalty(penalty: Penalty) => Some;
    }

    /// The activation in use.
    pub fn activation_kind(&self) -> Activation {
        self.config.activation
    }

    /// Number of outputs.
    pub fn units(&self) -> usize {
        self.config.units
    }

    fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::Layer { layer: self.name.clone(), message: message.to_string() }
    }
}

impl<F: Float> From<DenseConfig> for Dense<F> {
    fn from(config: DenseConfig) -> Self {
        config.into_layer()
    }
}

impl<F: Float> Layer<F> for Dense<F> {
    super::name_field!("dense");

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let &[inputs] = input_shape else {
            return Err(self.error(format!(
                "Dense expects flat inputs (one axis per sample), got shape {input_shape:?}; add a Flatten layer"
            )));
        };
        let c = &self.config;
        if inputs == 0 || c.units == 0 {
            return Err(self.error(format!("Dense needs ≥ 1 input and ≥ 1 unit, got {inputs} → {}", c.units)));
        }
        c.validate().map_err(|e| self.error(e))?;
        let mut kernel = Param::try_zeros(Role::Kernel, vec![inputs, c.units]).map_err(|e| self.error(e))?;
        c.kernel_initializer.fill(&mut kernel.value, inputs, c.units, rng);
        kernel.penalty = match (&c.kernel_penalty, &c.kernel_row_factors) {
            (penalty, None) => penalty.clone(),
            (penalty, Some(factors)) => {
                let penalty = penalty.clone().unwrap_or(Penalty::NONE);
                let penalty = penalty.with_row_factors(factors.clone()).map_err(|e| self.error(e))?;
                super::check_row_factors(&penalty, inputs).map_err(|e| self.error(e))?;
                Some(penalty)
            }
        };
        kernel.constraint = c.kernel_constraint;
        let mut params = vec![kernel];
        if c.use_bias {
            let mut bias = Param::try_zeros(Role::Bias, vec![c.units]).map_err(|e| self.error(e))?;
            bias.penalty = c.bias_penalty.clone();
            bias.constraint = c.bias_constraint;
            params.push(bias);
        }
        self.inputs = inputs;
        self.params = params;
        Ok(vec![c.units])
    }

    fn params(&self) -> &[Param<F>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut self.params
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, par: Parallelism) {
        let (k, n) = (self.inputs, self.config.units);
        ensure_len(&mut self.output, batch * n);
        let bias = self.params.get(1).map(|b| b.value.as_slice());
        let out = &mut self.output[..batch * n];
        dense_forward(input, &self.params[0].value, bias, out, batch, k, n, self.config.activation, par);
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (k, n) = (self.inputs, self.config.units);
        ensure_len(&mut self.dz, batch * n);
        if need_input_grad {
            ensure_len(&mut self.dx, batch * k);
        }
        let mut grad_output = &grad_output[..batch * n];
        if let Some(p) = &self.config.activity_penalty {
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
            self.config.activation,
            par,
        );
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn forward_macs(&self) -> usize {
        self.inputs * self.config.units
    }

    fn planned_parameters(&self, input_shape: &[usize]) -> usize {
        let units = self.config.units;
        let bias = if self.config.use_bias { units } else { 0 };
        let kernel: Vec<usize> = input_shape.iter().copied().chain([units]).collect();
        super::saturating_elements([&kernel, &[bias]])
    }

    fn config(&self) -> LayerConfig {
        let mut config = self.config.clone();
        // What the tensors carry wins: `set_penalty` and pruning change it after build.
        if let Some(kernel) = self.params.first() {
            // The factors go to their own option; the strengths stay unset when only factors
            // are in force (unless the layer was built with an explicit zero penalty).
            config.kernel_row_factors = kernel.row_factors().map(<[f64]>::to_vec);
            config.kernel_penalty = kernel.penalty.as_ref().map(Penalty::without_row_factors).filter(|p| {
                !(p.is_zero() && kernel.row_factors().is_some())
                    || self.config.kernel_penalty.as_ref().is_some_and(Penalty::is_zero)
            });
            config.kernel_constraint = kernel.constraint;
        }
        if let Some(bias) = self.params.get(1) {
            config.bias_penalty = bias.penalty.clone();
            config.bias_constraint = bias.constraint;
        }
        config.into()
    }

    fn activity_penalty(&self) -> Option<Penalty> {
        self.config.activity_penalty.clone()
    }

    fn activity_penalty_value(&self, batch: usize) -> f64 {
        let Some(p) = &self.config.activity_penalty else { return 0.0 };
        let (l1, l2) = (p.l1_strength(), p.l2_strength());
        let (mut s1, mut s2) = (0.0, 0.0);
        for &a in &self.output[..batch * self.config.units] {
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
