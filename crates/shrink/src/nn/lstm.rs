//! A long short-term memory layer (Keras `LSTM`: gate order i, f, c, o; tanh activation,
//! sigmoid recurrent activation), trained by back-propagation through time.

use super::lstm_kernels::{backward_rows, forward_rows, lstm_gradients, lstm_project, run_rows, Steps};
use super::{ensure_len, Initializer, Layer, LayerConfig, Param, Role};
use crate::kernels::Parallelism;
use crate::rng::Rng;
use crate::{Error, Float, Penalty};
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

/// Every option of an [`Lstm`] layer, as specs and model files write it (`type = "lstm"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LstmConfig {
    /// Hidden units, ≥ 1.
    pub units: usize,
    /// Output every step (`[timesteps, units]`) instead of the last. Default false.
    #[serde(default)]
    pub return_sequences: bool,
    /// Initialize the forget gate's bias to 1 (Keras). Default true.
    #[serde(default = "yes")]
    pub unit_forget_bias: bool,
    /// Penalty on the input kernel `[features, 4·units]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_penalty: Option<Penalty>,
    /// Penalty on the recurrent kernel `[units, 4·units]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrent_penalty: Option<Penalty>,
    /// Penalty on the bias `[4·units]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_penalty: Option<Penalty>,
}

impl LstmConfig {
    /// `units` cells returning the last hidden state, forget bias 1, no penalties.
    pub fn new(units: usize) -> Self {
        LstmConfig {
            units,
            return_sequences: false,
            unit_forget_bias: true,
            kernel_penalty: None,
            recurrent_penalty: None,
            bias_penalty: None,
        }
    }

    /// Checks the units (≥ 1, and 4·units must not overflow).
    pub fn validate(&self) -> Result<(), Error> {
        if self.units == 0 {
            return Err(Error::invalid("units", "≥ 1", 0));
        }
        if self.units.checked_mul(4).is_none_or(|g| g > super::MAX_TENSOR_ELEMENTS) {
            return Err(Error::invalid("units", "small enough that 4·units gates fit in a tensor", self.units));
        }
        Ok(())
    }

    /// The unbuilt layer.
    pub fn into_layer<F: Float>(self) -> Lstm<F> {
        Lstm {
            name: String::new(),
            config: self,
            timesteps: 0,
            features: 0,
            params: Vec::new(),
            xt: Vec::new(),
            gates: Vec::new(),
            cells: Vec::new(),
            tanh_cells: Vec::new(),
            hidden: Vec::new(),
            output: Vec::new(),
            dz: Vec::new(),
            dh: Vec::new(),
            dc: Vec::new(),
            rt: Vec::new(),
            dxt: Vec::new(),
            dx: Vec::new(),
        }
    }
}

impl<F: Float> From<LstmConfig> for Lstm<F> {
    fn from(config: LstmConfig) -> Self {
        config.into_layer()
    }
}

/// An LSTM over per-sample sequences `[timesteps, features]`, batch-major in and out.
///
/// With gates `z = x_t·W + h_{t−1}·U + b` split as `[i, f, c, o]` (each `units` wide):
/// `i, f, o = σ(·)`, `g = tanh(z_c)`, `c_t = f⊙c_{t−1} + i⊙g`, `h_t = o⊙tanh(c_t)`, from
/// `h_{−1} = c_{−1} = 0`. The output is `h_{T−1}` (`[units]`), or every `h_t`
/// (`[timesteps, units]`) with [`Lstm::return_sequences`].
///
/// Parameters, in order: `kernel` `[features, 4·units]` ([`Role::Kernel`]), `recurrent_kernel`
/// `[units, 4·units]` ([`Role::RecurrentKernel`]) and `bias` `[4·units]` ([`Role::Bias`]), so a
/// penalty can address each one (`lstm_0.recurrent_kernel`, `*.recurrent_kernel`, …).
///
/// Internally every per-step buffer is time-major, so that the input projection of all steps,
/// and after back-propagation the kernel and recurrent-kernel gradients, are each one large
/// product. The recurrence itself is split by batch rows across the threads of the
/// [`Parallelism`] (rows are independent through time), with an unpacked register-tiled kernel
/// for the small per-step products; results are bit-identical at every thread count. In `f32`
/// the gate nonlinearities use a vectorizable `exp` within 3e-7 relative error of libm's; in
/// `f64` (gradient checks) they use libm.
#[derive(Debug, Clone)]
pub struct Lstm<F> {
    name: String,
    /// The options; penalties move onto the parameters at build.
    config: LstmConfig,
    timesteps: usize,
    features: usize,
    params: Vec<Param<F>>,
    /// The input, time-major `[T, B, I]`.
    xt: Vec<F>,
    /// Gate pre-activations, then activations `[i, f, g, o]`, time-major `[T, B, 4U]`.
    gates: Vec<F>,
    /// Cell states `c_t`, `[T, B, U]`.
    cells: Vec<F>,
    /// `tanh(c_t)`, `[T, B, U]`.
    tanh_cells: Vec<F>,
    /// Hidden states `h_t`, `[T, B, U]`.
    hidden: Vec<F>,
    output: Vec<F>,
    /// Gradient of the gate pre-activations, `[T, B, 4U]`.
    dz: Vec<F>,
    /// Running gradients of `h_t` and `c_t`, `[B, U]`.
    dh: Vec<F>,
    dc: Vec<F>,
    /// The recurrent kernel transposed, `[4U, U]`.
    rt: Vec<F>,
    /// Input gradient, time-major then batch-major.
    dxt: Vec<F>,
    dx: Vec<F>,
}

impl<F: Float> Lstm<F> {
    /// A layer of `units` cells: glorot_uniform kernel, orthogonal recurrent kernel, zero bias
    /// with the forget gate's bias at 1, returning only the last hidden state.
    pub fn new(units: usize) -> Self {
        LstmConfig::new(units).into_layer()
    }

    super::config_setters! {
        /// Outputs every hidden state (`[timesteps, units]` per sample) instead of the last one;
        /// needed to stack another recurrent layer on top. Default false.
        return_sequences(yes: bool);
        /// Initializes the forget gate's bias to 1 (default true, as in Keras).
        unit_forget_bias(yes: bool);
        /// Penalizes the input kernel.
        kernel_penalty(penalty: Penalty) => Some;
        /// Penalizes the recurrent kernel.
        recurrent_penalty(penalty: Penalty) => Some;
        /// Penalizes the bias (off by default, as in Keras).
        bias_penalty(penalty: Penalty) => Some;
    }

    /// Number of cells.
    pub fn units(&self) -> usize {
        self.config.units
    }

    fn error(&self, message: String) -> Error {
        Error::Layer { layer: self.name.clone(), message }
    }
}

impl<F: Float> Layer<F> for Lstm<F> {
    super::name_field!("lstm");

    fn build(&mut self, input_shape: &[usize], rng: &mut Rng) -> Result<Vec<usize>, Error> {
        let &[timesteps, features] = input_shape else {
            let hint = if input_shape.len() == 1 {
                "; to stack on another LSTM, give that one return_sequences(true)"
            } else {
                ""
            };
            return Err(
                self.error(format!("LSTM expects [timesteps, features] per sample, got shape {input_shape:?}{hint}"))
            );
        };
        if timesteps == 0 {
            return Err(
                self.error(format!("LSTM cannot run over a sequence of length 0 (input shape {input_shape:?})"))
            );
        }
        if features == 0 {
            return Err(self.error(format!(
                "LSTM cannot run over a sequence of length 0 in features: each step has 0 features (input shape {input_shape:?})"
            )));
        }
        if self.config.units == 0 {
            return Err(self.error("LSTM needs ≥ 1 unit, got 0".to_string()));
        }
        self.config.validate().map_err(|e| self.error(e.to_string()))?;
        let c = &self.config;
        let (u, g) = (c.units, 4 * c.units);
        let zeros = |role, shape| Param::try_zeros(role, shape).map_err(|e| self.error(e));
        // Every shape is checked before the first allocation.
        let (kernel, recurrent) = ((Role::Kernel, vec![features, g]), (Role::RecurrentKernel, vec![u, g]));
        for (_, shape) in [&kernel, &recurrent] {
            super::checked_elements(shape).map_err(|e| self.error(e))?;
        }
        let mut kernel = zeros(kernel.0, kernel.1)?;
        Initializer::GlorotUniform.fill(&mut kernel.value, features, g, rng);
        kernel.penalty = c.kernel_penalty.clone();
        let mut recurrent = zeros(recurrent.0, recurrent.1)?;
        Initializer::Orthogonal.fill(&mut recurrent.value, u, g, rng);
        recurrent.penalty = c.recurrent_penalty.clone();
        let mut bias = zeros(Role::Bias, vec![g])?;
        if c.unit_forget_bias {
            bias.value[u..2 * u].fill(F::one());
        }
        bias.penalty = c.bias_penalty.clone();
        let out = if c.return_sequences { vec![timesteps, u] } else { vec![u] };
        self.timesteps = timesteps;
        self.features = features;
        self.params = vec![kernel, recurrent, bias];
        Ok(out)
    }

    fn params(&self) -> &[Param<F>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<F>] {
        &mut self.params
    }

    fn forward(&mut self, input: &[F], batch: usize, _training: bool, par: Parallelism) {
        let (t, i, u) = (self.timesteps, self.features, self.config.units);
        let (bu, g) = (batch * u, 4 * u);
        ensure_len(&mut self.xt, t * batch * i);
        ensure_len(&mut self.gates, t * batch * g);
        ensure_len(&mut self.cells, t * bu);
        ensure_len(&mut self.tanh_cells, t * bu);
        ensure_len(&mut self.hidden, t * bu);
        let out_len = if self.config.return_sequences { t * bu } else { bu };
        ensure_len(&mut self.output, out_len);
        let [kernel, recurrent, bias] = &self.params[..] else { unreachable!("a built LSTM has three parameters") };
        let gates = &mut self.gates[..t * batch * g];
        lstm_project(
            &input[..batch * t * i],
            &kernel.value,
            &bias.value,
            &mut self.xt[..t * batch * i],
            gates,
            batch,
            t,
            i,
            par,
        );
        let views = (
            Steps::new(gates, batch, g),
            Steps::new(&mut self.cells[..t * bu], batch, u),
            Steps::new(&mut self.tanh_cells[..t * bu], batch, u),
            Steps::new(&mut self.hidden[..t * bu], batch, u),
        );
        let recurrent = recurrent.value.as_slice();
        run_rows(par, batch, &|r0, r1| forward_rows(&views.0, &views.1, &views.2, &views.3, recurrent, r0, r1, t, u));
        let hidden = &self.hidden[..t * bu];
        let output = &mut self.output[..out_len];
        if self.config.return_sequences {
            for (s, step) in hidden.chunks_exact(bu).enumerate() {
                for (b, h) in step.chunks_exact(u).enumerate() {
                    output[(b * t + s) * u..(b * t + s + 1) * u].copy_from_slice(h);
                }
            }
        } else {
            output.copy_from_slice(&hidden[(t - 1) * bu..]);
        }
    }

    fn output(&self) -> &[F] {
        &self.output
    }

    fn backward(&mut self, _input: &[F], grad_output: &[F], batch: usize, need_input_grad: bool, par: Parallelism) {
        let (t, i, u) = (self.timesteps, self.features, self.config.units);
        let (bu, g) = (batch * u, 4 * u);
        ensure_len(&mut self.dz, t * batch * g);
        ensure_len(&mut self.dh, bu);
        ensure_len(&mut self.dc, bu);
        ensure_len(&mut self.rt, g * u);
        if need_input_grad {
            ensure_len(&mut self.dxt, t * batch * i);
            ensure_len(&mut self.dx, batch * t * i);
        }
        let out_len = if self.config.return_sequences { t * bu } else { bu };
        let [kernel, recurrent, bias] = &mut self.params[..] else { unreachable!("a built LSTM has three parameters") };
        // Uᵀ, so that dh = dZ·Uᵀ runs through the same row-major kernel as the forward product.
        let rt = &mut self.rt[..g * u];
        for (p, row) in recurrent.value.chunks_exact(g).enumerate() {
            for (j, &w) in row.iter().enumerate() {
                rt[j * u + p] = w;
            }
        }
        let views = (
            Steps::new(&mut self.dz[..t * batch * g], batch, g),
            Steps::new(&mut self.dh[..bu], batch, u),
            Steps::new(&mut self.dc[..bu], batch, u),
        );
        let (grad_output, gates) = (&grad_output[..out_len], &self.gates[..t * batch * g]);
        let (cells, tanh_cells, rt) = (&self.cells[..t * bu], &self.tanh_cells[..t * bu], &self.rt[..g * u]);
        let rs = self.config.return_sequences;
        run_rows(par, batch, &|r0, r1| {
            backward_rows(
                grad_output,
                gates,
                cells,
                tanh_cells,
                rt,
                &views.0,
                &views.1,
                &views.2,
                r0,
                r1,
                batch,
                t,
                u,
                rs,
            )
        });
        let dx =
            if need_input_grad { Some((&mut self.dxt[..t * batch * i], &mut self.dx[..batch * t * i])) } else { None };
        lstm_gradients(
            &self.xt[..t * batch * i],
            &self.hidden[..t * bu],
            &self.dz[..t * batch * g],
            &kernel.value,
            &mut kernel.grad,
            &mut recurrent.grad,
            &mut bias.grad,
            dx,
            batch,
            t,
            i,
            u,
            par,
        );
    }

    fn input_grad(&self) -> &[F] {
        &self.dx
    }

    fn forward_macs(&self) -> usize {
        self.timesteps * (self.features + self.config.units) * 4 * self.config.units
    }

    fn planned_parameters(&self, input_shape: &[usize]) -> usize {
        let (features, u) = (input_shape.last().copied().unwrap_or(0), self.config.units);
        let g = u.saturating_mul(4);
        super::saturating_elements([&[features, g], &[u, g], &[g]])
    }

    fn config(&self) -> LayerConfig {
        let mut config = self.config.clone();
        // What the tensors carry wins: `set_penalty` changes it after build.
        if let [kernel, recurrent, bias] = &self.params[..] {
            config.kernel_penalty = kernel.penalty.clone();
            config.recurrent_penalty = recurrent.penalty.clone();
            config.bias_penalty = bias.penalty.clone();
        }
        config.into()
    }
}

#[cfg(test)]
#[path = "lstm_tests.rs"]
mod tests;
