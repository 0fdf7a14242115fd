/* Small helps for the forms. Everything works without them. */
(function () {
  "use strict";

  // The probability field shows the chosen stage's default as its placeholder:
  // leaving it blank means "use the stage's default".
  function followStageDefault(select) {
    var form = select.form;
    var probability = form && form.querySelector("input[name=probability]");
    if (!probability) {
      return;
    }
    function update() {
      var option = select.options[select.selectedIndex];
      var value = option && option.dataset.defaultProbability;
      if (value !== undefined) {
        probability.placeholder = value;
      }
    }
    select.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[name=stage]").forEach(followStageDefault);
  });
})();
