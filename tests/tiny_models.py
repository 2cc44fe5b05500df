"""Networks and ensembles small enough to train in a fraction of a second."""

from skimbnet import BalancedNetClassifier, BootstrapEnsembleClassifier


def tiny_net(**params):
    """A network that trains in a fraction of a second."""
    defaults = dict(
        hidden_layer_sizes=(16,),
        loss="ce",  # with class_weight="auto": balanced weights from the first epoch
        max_epochs=4,
        lr=1e-2,
        train_split=None,
        random_state=0,
    )
    defaults.update(params)
    return BalancedNetClassifier(**defaults)


def tiny_ensemble(n_estimators=3, **params):
    """An ensemble of ``n_estimators`` tiny networks."""
    member = tiny_net(hidden_layer_sizes=(8,), class_weight=None, lr=2e-2, random_state=None)
    defaults = dict(estimator=member, n_estimators=n_estimators, random_state=0)
    defaults.update(params)
    return BootstrapEnsembleClassifier(**defaults)
