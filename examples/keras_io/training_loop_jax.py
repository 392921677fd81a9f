"""Writing a training loop from scratch in JAX (keras.io/guides), on local arrays."""

import jax
import numpy as np
import keras

import _data


def get_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


model = get_model()
batch_size = 32
(x_train, y_train), (x_test, y_test) = _data.mnist(n_train=512, n_test=128)
x_train = np.reshape(x_train, (-1, 784)).astype("float32")
x_test = np.reshape(x_test, (-1, 784)).astype("float32")
y_train = keras.utils.to_categorical(y_train)
y_test = keras.utils.to_categorical(y_test)
x_val = x_train[-128:]
y_val = y_train[-128:]
x_train = x_train[:-128]
y_train = y_train[:-128]

loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
optimizer.build(model.trainable_variables)
train_acc_metric = keras.metrics.CategoricalAccuracy()
val_acc_metric = keras.metrics.CategoricalAccuracy()


def compute_loss_and_updates(trainable_variables, non_trainable_variables, metric_variables, x, y):
    y_pred, non_trainable_variables = model.stateless_call(
        trainable_variables, non_trainable_variables, x
    )
    loss = loss_fn(y, y_pred)
    metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
    return loss, (non_trainable_variables, metric_variables)


grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)


@jax.jit
def train_step(state, data):
    (trainable_variables, non_trainable_variables, optimizer_variables, metric_variables) = state
    x, y = data
    (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
        trainable_variables, non_trainable_variables, metric_variables, x, y
    )
    trainable_variables, optimizer_variables = optimizer.stateless_apply(
        optimizer_variables, grads, trainable_variables
    )
    return loss, (
        trainable_variables,
        non_trainable_variables,
        optimizer_variables,
        metric_variables,
    )


@jax.jit
def eval_step(state, data):
    trainable_variables, non_trainable_variables, metric_variables = state
    x, y = data
    y_pred, non_trainable_variables = model.stateless_call(
        trainable_variables, non_trainable_variables, x
    )
    loss = loss_fn(y, y_pred)
    metric_variables = val_acc_metric.stateless_update_state(metric_variables, y, y_pred)
    return loss, (trainable_variables, non_trainable_variables, metric_variables)


# The guide passes the variables themselves; JAX 0.10 needs their values.
trainable_variables = [v.value for v in model.trainable_variables]
non_trainable_variables = [v.value for v in model.non_trainable_variables]
optimizer_variables = [v.value for v in optimizer.variables]
metric_variables = [v.value for v in train_acc_metric.variables]
state = (trainable_variables, non_trainable_variables, optimizer_variables, metric_variables)

for step in range(len(x_train) // batch_size):
    data = (
        x_train[step * batch_size : (step + 1) * batch_size],
        y_train[step * batch_size : (step + 1) * batch_size],
    )
    loss, state = train_step(state, data)
    if step % 4 == 0:
        print(f"Training loss (for 1 batch) at step {step}: {float(loss):.4f}")
        _, _, _, metric_variables = state
        for variable, value in zip(train_acc_metric.variables, metric_variables):
            variable.assign(value)
        print(f"Training accuracy: {train_acc_metric.result()}")

metric_variables = [v.value for v in val_acc_metric.variables]
(trainable_variables, non_trainable_variables, optimizer_variables, _) = state
state = (trainable_variables, non_trainable_variables, metric_variables)
for step in range(len(x_val) // batch_size):
    data = (
        x_val[step * batch_size : (step + 1) * batch_size],
        y_val[step * batch_size : (step + 1) * batch_size],
    )
    loss, state = eval_step(state, data)
_, _, metric_variables = state
for variable, value in zip(val_acc_metric.variables, metric_variables):
    variable.assign(value)
print(f"Validation accuracy: {val_acc_metric.result()}")

# Write the trained values back into the model's variables.
trainable_variables, non_trainable_variables, _ = state
for variable, value in zip(model.trainable_variables, trainable_variables):
    variable.assign(value)
for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
    variable.assign(value)
