"""Programs that override the training step run the same on heft and on Keras 3 (JAX).

Each program is written once against a module ``K`` (``keras`` or ``heft``),
starts from the same weights, trains with ``fit`` and must end with the same
logs and weights (1e-5).
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import heft

LIBS = {"keras": keras, "heft": heft}


def _set_random_weights(model, seed):
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        if "variance" in w.path:
            values.append(np.abs(rng.normal(size=w.shape)) + 0.5)
        else:
            values.append(rng.normal(size=w.shape) * 0.3)
    model.set_weights([v.astype("float32") for v in values])


def _compare(run, rtol=1e-5, atol=1e-5):
    (k_logs, k_weights), (h_logs, h_weights) = run(keras), run(heft)
    assert sorted(h_logs) == sorted(k_logs)
    trained = [name for name, values in h_logs.items() if len(set(np.ravel(values))) > 1]
    assert trained, f"no log changed between epochs: {h_logs}"  # the program did train
    for name in k_logs:
        np.testing.assert_allclose(h_logs[name], k_logs[name], rtol=rtol, atol=atol, err_msg=name)
    assert len(h_weights) == len(k_weights)
    for h, k in zip(h_weights, k_weights, strict=True):
        np.testing.assert_allclose(h, k, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------- a GAN


def _gan(K):
    class GAN(K.Model):
        def __init__(self, generator, discriminator, **kwargs):
            super().__init__(**kwargs)
            self.generator = generator
            self.discriminator = discriminator
            self.d_loss_tracker = K.metrics.Mean(name="d_loss")
            self.g_loss_tracker = K.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn
            d_optimizer.build(self.discriminator.trainable_variables)
            g_optimizer.build(self.generator.trainable_variables)
            # The two optimizers' state joins the model's non-trainable variables, so
            # that `fit` passes it to `train_step` and keeps what it returns.
            self.optimizer_states = d_optimizer.variables + g_optimizer.variables

        def call(self, z):
            return self.discriminator(self.generator(z))

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_values, metric_values = state
            z, real = data
            index = {
                id(v): i
                for i, v in enumerate(self.trainable_variables + self.non_trainable_variables)
            }
            values = list(trainable) + list(non_trainable)

            def get(variables):
                return [values[index[id(v)]] for v in variables]

            g_tv = get(self.generator.trainable_variables)
            g_ntv = get(self.generator.non_trainable_variables)
            d_tv = get(self.discriminator.trainable_variables)
            d_ntv = get(self.discriminator.non_trainable_variables)
            d_opt, g_opt = get(self.d_optimizer.variables), get(self.g_optimizer.variables)
            n = real.shape[0]

            def d_loss_fn(d_tv):
                fake, _ = self.generator.stateless_call(g_tv, g_ntv, z)
                logits, new_d_ntv = self.discriminator.stateless_call(
                    d_tv, d_ntv, jnp.concatenate([fake, real]), training=True
                )
                labels = jnp.concatenate([jnp.ones((n, 1)), jnp.zeros((n, 1))])
                return self.loss_fn(labels, logits), new_d_ntv

            (d_loss, d_ntv), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_tv)
            d_tv, d_opt = self.d_optimizer.stateless_apply(d_opt, d_grads, d_tv)

            def g_loss_fn(g_tv):
                fake, new_g_ntv = self.generator.stateless_call(g_tv, g_ntv, z)
                logits, _ = self.discriminator.stateless_call(d_tv, d_ntv, fake)
                return self.loss_fn(jnp.zeros((n, 1)), logits), new_g_ntv

            (g_loss, g_ntv), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_tv)
            g_tv, g_opt = self.g_optimizer.stateless_apply(g_opt, g_grads, g_tv)
            new = {}
            for variables, new_values in (
                (self.generator.trainable_variables, g_tv),
                (self.discriminator.trainable_variables, d_tv),
                (self.generator.non_trainable_variables, g_ntv),
                (self.discriminator.non_trainable_variables, d_ntv),
                (self.d_optimizer.variables, d_opt),
                (self.g_optimizer.variables, g_opt),
            ):
                new.update({id(v): a for v, a in zip(variables, new_values, strict=True)})
            trainable = [
                new.get(id(v), a) for v, a in zip(self.trainable_variables, trainable, strict=True)
            ]
            non_trainable = [
                new.get(id(v), a)
                for v, a in zip(self.non_trainable_variables, non_trainable, strict=True)
            ]
            d_mv = self.d_loss_tracker.stateless_update_state(metric_values[:2], d_loss)
            g_mv = self.g_loss_tracker.stateless_update_state(metric_values[2:], g_loss)
            logs = {
                "d_loss": self.d_loss_tracker.stateless_result(d_mv),
                "g_loss": self.g_loss_tracker.stateless_result(g_mv),
            }
            return logs, (trainable, non_trainable, optimizer_values, d_mv + g_mv)

    latent = 4
    generator = K.Sequential(
        [K.Input((latent,)), K.layers.Dense(8, activation="relu"), K.layers.Dense(6)],
        name="generator",
    )
    discriminator = K.Sequential(
        [
            K.Input((6,)),
            K.layers.Dense(8, activation="relu"),
            K.layers.BatchNormalization(),
            K.layers.Dense(1),
        ],
        name="discriminator",
    )
    _set_random_weights(generator, 0)
    _set_random_weights(discriminator, 1)
    gan = GAN(generator, discriminator)
    gan.compile(
        K.optimizers.Adam(1e-2),
        K.optimizers.SGD(5e-2, momentum=0.9),
        K.losses.BinaryCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(2)
    real = rng.normal(size=(64, 6)).astype("float32")
    z = rng.normal(size=(64, latent)).astype("float32")
    history = gan.fit(z, real, batch_size=16, epochs=3, shuffle=False, verbose=0)
    weights = generator.get_weights() + discriminator.get_weights()
    weights += [v.numpy() for v in gan.d_optimizer.variables + gan.g_optimizer.variables]
    return history.history, weights


def test_custom_steps_keras_gan_with_two_optimizers():
    _compare(_gan)


# ---------------------------------------------------------------------- a VAE


def _vae(K):
    class Sampling(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = K.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            eps = K.random.normal(K.ops.shape(z_mean), seed=self.seed_generator)
            kl = -0.5 * K.ops.mean(
                K.ops.sum(1 + z_log_var - K.ops.square(z_mean) - K.ops.exp(z_log_var), axis=1)
            )
            self.add_loss(kl)
            return z_mean + K.ops.exp(0.5 * z_log_var) * eps

    class VAE(K.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_tracker = K.metrics.Mean(name="total_loss")
            self.reconstruction_tracker = K.metrics.Mean(name="reconstruction_loss")

        def call(self, x):
            return self.decoder(self.encoder(x))

        @property
        def metrics(self):
            return [self.total_tracker, self.reconstruction_tracker]

        def compute_loss(self, x, y, y_pred, sample_weight=None, training=True):
            reconstruction = K.ops.mean(K.ops.sum(K.ops.square(x - y_pred), axis=1))
            total = reconstruction + sum(self.losses)
            self.total_tracker.update_state(total)
            self.reconstruction_tracker.update_state(reconstruction)
            return total

    inputs = K.Input((6,))
    h = K.layers.Dense(8, activation="tanh")(inputs)
    z_mean = K.layers.Dense(2)(h)
    z_log_var = K.layers.Dense(2)(h)
    z = Sampling()([z_mean, z_log_var])
    encoder = K.Model(inputs, z, name="encoder")
    decoder = K.Sequential(
        [K.Input((2,)), K.layers.Dense(8, activation="tanh"), K.layers.Dense(6)], name="decoder"
    )
    vae = VAE(encoder, decoder)
    vae.build((None, 6))
    _set_random_weights(encoder, 3)
    _set_random_weights(decoder, 4)
    vae.compile(optimizer=K.optimizers.Adam(1e-2))
    x = np.random.default_rng(5).normal(size=(48, 6)).astype("float32")
    history = vae.fit(x, x, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return history.history, vae.get_weights()


def test_custom_steps_keras_vae_with_its_own_loss():
    _compare(_vae)


# ---------------------------------------------------------------------- the Keras guide


def _guide_model(K, base):
    """The Keras guide's first example: `train_step` over `self.metrics`, compiled metrics."""

    class CustomModel(base):
        def compute_loss_and_updates(
            self, trainable_variables, non_trainable_variables, x, y, training=False
        ):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_values, metric_values = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable)), grads = grad_fn(
                trainable, non_trainable, x, y, training=True
            )
            trainable, optimizer_values = self.optimizer.stateless_apply(
                optimizer_values, grads, trainable
            )
            new_metric_values = []
            logs = {}
            for metric in self.metrics:
                start = len(new_metric_values)
                these = metric_values[start : start + len(metric.variables)]
                if metric.name == "loss":
                    these = metric.stateless_update_state(these, loss)
                else:
                    these = metric.stateless_update_state(these, y, y_pred)
                logs = metric.stateless_result(these)
                new_metric_values += these
            return logs, (trainable, non_trainable, optimizer_values, new_metric_values)

    return CustomModel


def _guide_first(K, functional=False):
    if functional:  # the guide's own form: a Functional model of the subclass
        CustomModel = _guide_model(K, K.Model)
        inputs = K.Input((5,))
        outputs = K.layers.Dense(1)(K.layers.Dense(3, activation="relu")(inputs))
        model = CustomModel(inputs, outputs)
    else:
        CustomModel = _guide_model(K, K.Sequential)
        model = CustomModel(
            [K.Input((5,)), K.layers.Dense(3, activation="relu"), K.layers.Dense(1)]
        )
    _set_random_weights(model, 6)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(40, 5)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return history.history, model.get_weights()


@pytest.mark.parametrize("functional", [False, True])
def test_custom_steps_keras_guide_train_step_over_self_metrics(functional):
    _compare(lambda K: _guide_first(K, functional))


def _guide_lower_level(K, functional=False):
    class CustomModel(K.Model if functional else K.Sequential):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = K.metrics.Mean(name="loss")
            self.mae_metric = K.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = K.losses.MeanSquaredError()

        def compute_loss_and_updates(
            self, trainable_variables, non_trainable_variables, x, y, training=False
        ):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training
            )
            return self.loss_fn(y, y_pred), (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_values, metric_values = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable)), grads = grad_fn(
                trainable, non_trainable, x, y, training=True
            )
            trainable, optimizer_values = self.optimizer.stateless_apply(
                optimizer_values, grads, trainable
            )
            n = len(self.loss_tracker.variables)
            loss_values = self.loss_tracker.stateless_update_state(metric_values[:n], loss)
            mae_values = self.mae_metric.stateless_update_state(metric_values[n:], y, y_pred)
            logs = {
                "loss": self.loss_tracker.stateless_result(loss_values),
                "mae": self.mae_metric.stateless_result(mae_values),
            }
            return logs, (trainable, non_trainable, optimizer_values, loss_values + mae_values)

        def test_step(self, state, data):
            x, y = data
            trainable, non_trainable, metric_values = state
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=False)
            n = len(self.loss_tracker.variables)
            loss_values = self.loss_tracker.stateless_update_state(
                metric_values[:n], self.loss_fn(y, y_pred)
            )
            mae_values = self.mae_metric.stateless_update_state(metric_values[n:], y, y_pred)
            logs = {
                "loss": self.loss_tracker.stateless_result(loss_values),
                "mae": self.mae_metric.stateless_result(mae_values),
            }
            return logs, (trainable, non_trainable, loss_values + mae_values)

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    if functional:
        inputs = K.Input((5,))
        model = CustomModel(inputs, K.layers.Dense(1)(inputs))
    else:
        model = CustomModel([K.Input((5,)), K.layers.Dense(1)])
    _set_random_weights(model, 8)
    model.compile(optimizer=K.optimizers.SGD(0.05))
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(40, 5)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    history = model.fit(
        x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, validation_data=(x[:16], y[:16])
    )
    logs = dict(history.history)
    logs.update(
        {f"eval_{k}": v for k, v in model.evaluate(x, y, verbose=0, return_dict=True).items()}
    )
    return logs, model.get_weights()


@pytest.mark.parametrize("functional", [False, True])
def test_custom_steps_keras_guide_lower_level_with_own_metrics_and_test_step(functional):
    _compare(lambda K: _guide_lower_level(K, functional))


@pytest.mark.parametrize("lib", ["keras", "heft"])
def test_custom_steps_keras_guide_logs_keys(lib):
    # The guide's loop keeps the logs of the last metric: `compile_metrics` in both.
    logs, _ = _guide_first(LIBS[lib])
    assert sorted(logs) == ["mae"]
