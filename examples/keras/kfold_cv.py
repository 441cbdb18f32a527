"""K-fold cross-validation the Keras way: scikit-learn's KFold and a fresh model per fold."""

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import KFold

import chainrule as keras

x, y = load_iris(return_X_y=True)
x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")


def build_model():
    model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


keras.utils.set_random_seed(0)
scores = []
for fold, (train_idx, val_idx) in enumerate(
    KFold(n_splits=5, shuffle=True, random_state=0).split(x)
):
    model = build_model()
    model.fit(x[train_idx], y[train_idx], epochs=40, batch_size=16, verbose=0)
    loss, acc = model.evaluate(x[val_idx], y[val_idx], verbose=0)
    print(f"fold {fold}: accuracy {acc:.3f}")
    scores.append(acc)
print(f"mean accuracy {np.mean(scores):.3f} +/- {np.std(scores):.3f}")
