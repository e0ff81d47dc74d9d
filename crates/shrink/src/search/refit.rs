//! The refit after a search (`shrink search --refit`, and the Python CV estimators): the chosen
//! (mix, width, alpha) trained on every row, or with `relax` the relaxed fit on its support.

use super::data::Fold;
use super::relax;
use super::{Point, SearchConfig, Selection};
use crate::model_file::SavedModel;
use crate::pipeline::{encode_inputs, encode_targets};
use crate::spec::ModelSpec;
use crate::train::{FitConfig, Trainer};
use crate::Error;
use shrink_data::{Dataset, Pipeline};

/// Trains `spec` at `selection` (its mix and width through `config.dimensions`, the searched
/// penalty on `config.param` at its alpha) on every row of `data`, with the spec's fit settings
/// and `threads` threads inside a step. With `relax`, the fit is then pruned to its support and
/// refitted there without the searched penalty ([`relax::support`], [`relax::fit_relaxed`]):
/// the model returned reads only the inputs that survived. Returns the model with the pipeline
/// (pruned with it) and the trainer whose optimizer state a model file stores.
///
/// `config.interrupt` stops either fit between batches with [`Error::Interrupted`].
pub fn refit(
    spec: &ModelSpec,
    config: &SearchConfig,
    pipeline: &Pipeline,
    data: &Dataset,
    selection: &Selection,
    relax: bool,
    threads: usize,
) -> Result<(SavedModel, Trainer<f32>), Error> {
    let point = Point { l1_ratio: selection.l1_ratio, units: selection.units };
    let spec = &config.dimensions.spec_at(spec, &point)?;
    let family = point.family(&config.penalty)?;
    if relax {
        relax::check(spec)?;
    }
    let x = encode_inputs(spec, pipeline, data)?;
    let y = encode_targets(spec, pipeline, data)?;
    let mut model = spec.build_model()?;
    model.set_penalty(&config.param, Some(family.at(selection.alpha)?))?;
    let mut trainer = spec.trainer()?;
    trainer.set_interrupt(config.interrupt.clone());
    let fit = FitConfig { threads, ..spec.fit_config() };
    trainer.fit(&mut model, x.view(), y.view(), None, &fit, None)?;
    if !relax {
        return Ok((SavedModel { spec: spec.clone(), pipeline: pipeline.clone(), model }, trainer));
    }
    let config = SearchConfig { penalty: family, ..config.clone() };
    let (mut pruned, kept) = relax::support(spec, &config, &model, pipeline.clone())?;
    // The CLI's relaxed refit validates on its training rows (nothing monitors them).
    let all = relax::on_support(&Fold { x_train: x.clone(), y_train: y.clone(), x_val: x, y_val: y }, &kept);
    let trainer = relax::fit_relaxed(&pruned.spec, &config, &mut pruned.model, &all, spec.seed)?;
    Ok((pruned, trainer))
}
