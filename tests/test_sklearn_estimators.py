"""NBSVMClassifier and NBFeatureScaler follow scikit-learn's estimator conventions (scikit-learn >= 1.6 API).

Design limits are declared through tags, not skipped checks (see ``__sklearn_tags__`` in course_utils/bow.py):
- both: ``input_tags.sparse`` (made for CountVectorizer output) and ``input_tags.positive_only`` (counts; the
  features are binarized, so negative values would be lost: they raise "Negative values in data");
- NBFeatureScaler: ``classifier_tags.multi_class=False`` (one log-count ratio compares exactly two classes) and
  ``target_tags.required`` (it needs y);
- NBSVMClassifier: ``classifier_tags.poor_score`` (binarized features throw away the values of the continuous
  blobs the accuracy check uses; it is a bag-of-words model).
No check is expected to fail.
"""
from sklearn.utils.estimator_checks import parametrize_with_checks

from course_utils.bow import NBFeatureScaler, NBSVMClassifier

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}  # none: every limit above is a tag


@parametrize_with_checks(
    [NBSVMClassifier(), NBSVMClassifier(classifier="logreg"), NBFeatureScaler()],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_conventions(estimator, check):
    check(estimator)
