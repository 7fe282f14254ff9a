"""Which URR topic column each attribute of ``personas.mobile-app.yaml`` stands for."""

TOPIC_OF_ATTRIBUTE = {
    "battery-drain": "IS_BATTERY",
    "slow-laggy": "IS_PERFORMANCE",
    "privacy-worries": "IS_PRIVACY",
    "storage-memory": "IS_MEMORY",
    "confusing-interface": "IS_UI",
    "device-compatibility": "IS_DEVICE",
    "android-version": "IS_ANDROID VERSION",
    "hardware-features": "IS_HARDWARE",
    "hard-to-use": "IS_APP USABILITY",
    "price-ads": "IS_PRICE",
    "licensing-paywall": "IS_LICENSING",
    "security-login": "IS_SECURITY",
}
