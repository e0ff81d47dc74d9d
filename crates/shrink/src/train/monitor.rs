//! What early stopping and the plateau schedule watch: one quantity of each epoch's record,
//! named as Keras names its logs (`loss`, `val_loss`, `accuracy`, `val_accuracy`, …).
//!
//! The name is resolved once, before training, against the metrics the trainer records and
//! whether the fit has validation data, so that a typo or a `val_*` monitor without validation
//! rows is an error naming the key instead of a silent no-op (Keras only warns).

use super::EpochRecord;
use crate::Error;

/// Which recorded quantity, and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitor {
    /// A `val_` quantity: measured on the validation data after the epoch.
    pub validation: bool,
    quantity: Quantity,
    /// Whether larger is better (Keras `mode = "max"`): accuracy. Losses and error metrics
    /// (`mse`, `mae`, `rmse`) are better smaller, as Keras' `mode = "auto"` decides.
    pub higher_is_better: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    /// Data loss plus penalty (Keras' `loss`).
    Loss,
    /// The data loss alone.
    DataLoss,
    /// The metric at this index of the trainer's metrics.
    Metric(usize),
}

impl Monitor {
    /// Resolves `name` for the setting `key` (e.g. `early_stopping.monitor`): `loss`,
    /// `data_loss` or one of `metric_names`, optionally prefixed `val_`, which needs
    /// validation data.
    pub fn resolve(
        key: &'static str,
        name: &str,
        metric_names: &[String],
        has_validation: bool,
    ) -> Result<Self, Error> {
        let (validation, base) = match name.strip_prefix("val_") {
            Some(base) => (true, base),
            None => (false, name),
        };
        let quantity = match base {
            "loss" => Quantity::Loss,
            "data_loss" => Quantity::DataLoss,
            _ => match metric_names.iter().position(|m| m == base) {
                Some(i) => Quantity::Metric(i),
                None => {
                    let mut known = vec!["loss".to_string(), "data_loss".into()];
                    known.extend(metric_names.iter().cloned());
                    return Err(Error::Setting {
                        key,
                        message: format!(
                            "unknown quantity `{name}`; this fit records {} (each also as val_… with validation data)",
                            known.join(", ")
                        ),
                    });
                }
            },
        };
        if validation && !has_validation {
            return Err(Error::Setting {
                key,
                message: format!(
                    "`{name}` needs validation data and this fit has none; give validation data or monitor `{base}`"
                ),
            });
        }
        let higher_is_better = base == "accuracy";
        Ok(Monitor { validation, quantity, higher_is_better })
    }

    /// The monitored value of one epoch (NaN when it is a validation quantity and the record
    /// has no validation values, which [`Monitor::resolve`] rules out for a fit).
    pub fn value(&self, record: &EpochRecord) -> f64 {
        let evaluation = if self.validation { record.validation.as_ref() } else { Some(&record.train) };
        evaluation.map_or(f64::NAN, |e| match self.quantity {
            Quantity::Loss => e.loss,
            Quantity::DataLoss => e.data_loss,
            Quantity::Metric(i) => e.metrics[i],
        })
    }

    /// Whether `current` beats `reference` by more than `min_delta` (≥ 0) in this monitor's
    /// direction: `current < reference − min_delta` for a loss, `current > reference +
    /// min_delta` for accuracy — Keras' `monitor_op(current − min_delta, reference)` with
    /// `min_delta` negated in min mode. NaN never improves.
    pub fn improves(&self, current: f64, reference: f64, min_delta: f64) -> bool {
        if self.higher_is_better {
            current - min_delta > reference
        } else {
            current + min_delta < reference
        }
    }

    /// The starting "best": +∞ for a loss, −∞ for accuracy (Keras' initial `best`).
    pub fn worst(&self) -> f64 {
        if self.higher_is_better {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_with_keras_directions_and_errors_name_the_key() {
        let metrics = vec!["accuracy".to_string(), "mae".into()];
        let m = Monitor::resolve("early_stopping.monitor", "val_accuracy", &metrics, true).unwrap();
        assert!(m.validation && m.higher_is_better);
        let m = Monitor::resolve("early_stopping.monitor", "mae", &metrics, false).unwrap();
        assert!(!m.validation && !m.higher_is_better);
        assert!(m.improves(0.5, 0.7, 0.1) && !m.improves(0.65, 0.7, 0.1));
        let e = Monitor::resolve("early_stopping.monitor", "val_loss", &metrics, false).unwrap_err().to_string();
        assert!(e.starts_with("early_stopping.monitor: `val_loss` needs validation data"), "{e}");
        let e = Monitor::resolve("lr_schedule.monitor", "val_f1", &metrics, true).unwrap_err().to_string();
        assert!(e.contains("lr_schedule.monitor: unknown quantity `val_f1`") && e.contains("accuracy, mae"), "{e}");
        assert!(!m.improves(f64::NAN, 1.0, 0.0));
    }
}
