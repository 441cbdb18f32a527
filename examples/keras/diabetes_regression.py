"""Regression on scikit-learn's diabetes data with RMSE and R² metrics."""

from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import chainrule as keras
from chainrule import layers

x, y = load_diabetes(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

keras.utils.set_random_seed(42)
model = keras.Sequential(
    [
        keras.Input(shape=(x_train.shape[1],)),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(
    optimizer="adam",
    loss="mse",
    metrics=[keras.metrics.RootMeanSquaredError(), keras.metrics.R2Score()],
)
model.fit(x_train, y_train, epochs=150, batch_size=32, validation_split=0.1, verbose=0)
results = model.evaluate(x_test, y_test, return_dict=True, verbose=0)
print("test", results)
