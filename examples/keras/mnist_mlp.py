"""The Keras MNIST MLP recipe (784-512-512-10, dropout, RMSprop), Keras 3 code with only the
import changed. A subset keeps it quick; set MNIST_FULL=1 for the whole recipe (20 epochs)."""

import os

import chainrule as keras
from chainrule.layers import Dense, Dropout, Input

full = os.environ.get("MNIST_FULL") == "1"
batch_size = 128
num_classes = 10
epochs = 20 if full else 2

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
if not full:
    x_train, y_train, x_test, y_test = x_train[:3000], y_train[:3000], x_test[:1000], y_test[:1000]
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        Input(shape=(784,)),
        Dense(512, activation="relu"),
        Dropout(0.2),
        Dense(512, activation="relu"),
        Dropout(0.2),
        Dense(num_classes, activation="softmax"),
    ]
)
model.summary()

# Keras writes optimizer=keras.optimizers.RMSprop(); the class arrives with chainrule.optimizers
# (Keras defaults), the string gives the same optimizer today.
optimizer = keras.optimizers.RMSprop()
model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    verbose=1,
    validation_data=(x_test, y_test),
)
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
