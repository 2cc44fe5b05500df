"""The skorch tests that fail against BalancedNetClassifier, each with its reason.

Node ids are relative to skorch's installed ``skorch/tests`` folder. The
plugin marks ``DIFFERS_BY_DESIGN`` and ``SKIMBNET_BUGS`` as strict xfails (a
listed test that starts to pass fails the run: take it off the list, and off
docs/integrations.md), ``FAIL_WITHOUT_SKIMBNET`` as plain xfails.
"""

#: the skorch version these lists were recorded with (the node ids are its tests)
RECORDED_WITH_SKORCH = "1.4.0"

#: the selection: skorch's classifier tests and its callback test modules ...
SELECTION = ("test_classifier.py::TestNeuralNet", "callbacks")
#: ... less the logger classes that need packages skimbnet's test extras do not
#: install (skipped without them; deselected, so that the counts do not depend on them)
DESELECTED = {
    f"callbacks/test_logging.py::{cls}": f"needs {package}"
    for cls, package in [
        ("TestNeptune", "neptune"),
        ("TestSacred", "sacred"),
        ("TestWandb", "wandb"),
        ("TestMLflowLogger", "mlflow"),
        ("TestTensorBoard", "tensorboard"),
    ]
}
#: at least this many of the selected tests build BalancedNetClassifier and pass
PASSING_AT_LEAST = 57

_MAX_EPOCHS_0 = (
    "max_epochs=0 (skorch: initialise and infer the classes, train nothing) is rejected: "
    "max_epochs >= 1"
)
_DATASET = "fit takes arrays X and y: a torch Dataset as X, or y=None, is not accepted"
_CLASSES = (
    "classes= must contain y's labels and is sorted (np.unique); skorch returns any list "
    "as given, [] meaning no classes_"
)
_INIT = (
    "initialize() before fit needs classes= (the network is sized from the data)"
)
_ONE_CLASS = "y with a single class is rejected (scikit-learn's classifier contract: 2+ classes)"
_USE_CACHING = "use_caching is not a constructor parameter (stricter parameter validation)"
_MODULE2 = "only module is a registered module: module2__* parameters are rejected"
_ONE_D = "1-D X is rejected by scikit-learn's validate_data, with its message, before callbacks run"
_VALID_CHUNKS = (
    "validation runs in chunks of up to 65,536 rows, not batch_size batches: one validation "
    "batch per epoch in the history, where skorch records two"
)

_CLF = "test_classifier.py::TestNeuralNet::"
_LR = "callbacks/test_lr_scheduler.py::TestLRCallbacks::"
_SCORING = "callbacks/test_scoring.py::"
_TRAINING = "callbacks/test_training.py::"
_MAPPER = _TRAINING + "TestParamMapper::"
_SHAPE = _TRAINING + "TestInputShapeSetter::"
_SIZES = (2, 10, 20)

#: skorch behaviour that BalancedNetClassifier deliberately does not have
DIFFERS_BY_DESIGN = {
    _CLF + "test_non_binary_classes_set_by_default": _MAX_EPOCHS_0,
    _CLF + "test_classes_data_torch_tensor": _MAX_EPOCHS_0,
    _CLF + "test_classes_with_gaps": _MAX_EPOCHS_0,
    _LR + "test_lr_scheduler_set_params": _MAX_EPOCHS_0,
    _CLF + "test_classes_are_set_with_tensordataset_explicit_y": _DATASET,
    _CLF + "test_classes_are_set_with_tensordataset_implicit_y": _DATASET,
    _CLF + "test_error_when_classes_could_not_be_inferred": _DATASET,
    _TRAINING + "TestEarlyStopping::test_weights_restore": _DATASET,
    _CLF + "test_pass_classes_explicitly_overrides": _CLASSES,
    _CLF + "test_pass_empty_classes_raises[classes0]": _CLASSES,
    _CLF + "test_pass_empty_classes_raises[classes1]": _CLASSES,
    _CLF + "test_takes_log_with_nllloss": _INIT,
    _CLF + "test_takes_no_log_without_nllloss": _INIT,
    "callbacks/test_regularization.py::TestGradientNormClipping::"
    "test_no_parameter_updates_when_norm_0": _INIT,
    **{
        _MAPPER + f"test_freezing_is_effective[mod_kwargs{i}-{init}]": _INIT
        for i in (0, 1)
        for init in (False, True)
    },
    _MAPPER + "test_unfreezing_is_effective": _INIT,
    _MAPPER + "test_schedule_is_effective": _INIT,
    _SCORING + "TestScoringCacheGlobalControl::test_net_use_caching_wrong_value_raises": _INIT,
    _SCORING + "TestPassthrougScoring::test_correct_train_pass_through_scores": _ONE_CLASS,
    _SCORING + "TestPassthrougScoring::test_correct_valid_pass_through_scores": _ONE_CLASS,
    **{
        _SCORING + f"TestScoringCacheGlobalControl::test_net_overrides_caching[{value}]": (
            _USE_CACHING
        )
        for value in ("auto", True, False)
    },
    **{_SHAPE + f"test_module_name[{n}]": _MODULE2 for n in _SIZES},
    _SHAPE + "test_one_dimensional_x_raises": _ONE_D,
    _LR + "test_lr_callback_batch_steps_correctly_fallback[CyclicLR-kwargs0]": _VALID_CHUNKS,
}

#: skorch behaviour BalancedNetClassifier should have: bugs, reported, not yet fixed
SKIMBNET_BUGS: dict[str, str] = {}

#: tests that fail with skorch's own classes too (they never build BalancedNetClassifier)
FAIL_WITHOUT_SKIMBNET = {
    _TRAINING + f"TestLoadInitState::{test}[safetensors]": (
        "without the safetensors package skorch's Checkpoint catches the ImportError and "
        "writes no file; fails with skorch's own NeuralNetRegressor as well"
    )
    for test in ("test_load_initial_state", "test_load_initial_state_custom_scoring")
}
