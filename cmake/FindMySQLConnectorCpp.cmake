# Find module for mysql-connector-c++ 1.1 (the JDBC-style sql:: API) as
# Debian ships it in libmysqlcppconn-dev. Creates MySQL::ConnectorCpp.
find_path(MYSQLCPPCONN_INCLUDE_DIR mysql_driver.h)
find_library(MYSQLCPPCONN_LIBRARY mysqlcppconn)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MySQLConnectorCpp
  REQUIRED_VARS MYSQLCPPCONN_INCLUDE_DIR MYSQLCPPCONN_LIBRARY)

if(MySQLConnectorCpp_FOUND AND NOT TARGET MySQL::ConnectorCpp)
  add_library(MySQL::ConnectorCpp SHARED IMPORTED)
  set_target_properties(MySQL::ConnectorCpp PROPERTIES
    IMPORTED_LOCATION "${MYSQLCPPCONN_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${MYSQLCPPCONN_INCLUDE_DIR}")
endif()
mark_as_advanced(MYSQLCPPCONN_INCLUDE_DIR MYSQLCPPCONN_LIBRARY)
